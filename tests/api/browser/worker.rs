//! A job seeker in the browser: signs up, fills the profile with the region pickers and the
//! occupation search, sees it saved, reads an opening, signs out and back in; and gets bad input
//! answered beside the field. Each with JavaScript on and off.

use super::{with_browser, Browser, Js};
use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};

pub(super) async fn post_opening(app: &TestApp) -> i64 {
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440100").await;
    let today = chrono::Local::now().date_naive();
    let resp = app
        .post_json(
            "/api/v1/openings",
            Some(&employer),
            &serde_json::json!({
                "title": "招电焊工 包吃住",
                "description": "车间焊接，持证优先。",
                "required_occupations": ["6-18-02-04"],
                "work_region": "440106",
                "wage_min": 6000, "wage_max": 8000, "headcount": 5,
                "housing": true, "meals": true,
                "start_date": (today + chrono::Duration::days(10)).to_string(),
                "deadline": (today + chrono::Duration::days(30)).to_string(),
                "status": "open"
            }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let body: serde_json::Value = resp.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

pub(super) async fn sign_up(b: &Browser, phone: &str) {
    b.goto("/signup").await;
    b.screenshot("signup").await;
    b.type_into("手机号", phone).await;
    b.type_into("密码", TEST_PASSWORD).await;
    b.type_into("称呼", "马师傅").await;
    b.press("注册").await;
    b.wait_for_text("修改资料").await;
    assert_eq!(b.path().await, "/me/profile/edit");
}

pub(super) async fn fill_profile(b: &Browser) {
    b.type_into("姓名", "马建国").await;
    b.choose("性别", "男").await;
    b.type_into("出生年份", "1990").await;
    b.choose("文化程度", "初中").await;
    let home = Some("户籍所在县");
    b.choose_in(home, "省", "青海省").await;
    b.after_choice("户籍所在县", "更新选项", "市").await;
    b.choose_in(home, "市", "海东市").await;
    b.after_choice("户籍所在县", "更新选项", "县（区）").await;
    b.choose_in(home, "县（区）", "化隆回族自治县").await;
    let add = Some("添加地点");
    b.choose_in(add, "省", "广东省").await;
    b.after_choice("添加地点", "更新选项", "市").await;
    b.choose_in(add, "市", "广州市").await;
    b.press("添加地点").await;
    b.wait_for_text("删除：广东省广州市").await;
    b.type_into("最低月薪（元）", "5000").await;
    b.type_into("会做什么工作", "电焊").await;
    if b.js == Js::Off {
        b.press("查找工种").await;
    }
    b.choose("选择工种", "焊工").await;
    b.type_into("从业年数", "3").await;
    b.screenshot("profile-edit").await;
    b.press("保存").await;
}

async fn worker_story(js: Js) {
    let app = spawn_app().await;
    let opening = post_opening(&app).await;
    let phone = unique_phone();
    let typed = phone.clone();
    with_browser("worker_story", &app.address, js, |b| async move {
        let phone = typed;
        sign_up(&b, &phone).await;
        fill_profile(&b).await;
        b.wait_for_text("已保存").await;
        assert!(b.path().await.starts_with("/me/profile?saved=1"));
        let text = b.body_text().await;
        for expected in ["马建国", "化隆回族自治县", "广州市", "焊工", "3 年", "5000"]
        {
            assert!(text.contains(expected), "profile shows {expected}: {text}");
        }
        b.screenshot("profile").await;

        b.goto(&format!("/openings/{opening}")).await;
        b.wait_for_text("招电焊工 包吃住").await;
        let text = b.body_text().await;
        assert!(text.contains("6000–8000 元/月"), "{text}");
        assert!(text.contains("焊工"), "{text}");
        b.screenshot("opening").await;

        // English through the switch on the page, kept on the next page.
        b.press("English").await;
        b.wait_for_text("Place of work").await;
        b.goto("/me/profile").await;
        b.wait_for_text("My profile").await;
        b.press("中文").await;
        b.wait_for_text("我的资料").await;

        b.press("退出登录").await;
        b.wait_for_text("登录").await;
        assert_eq!(b.path().await, "/signin");
        b.goto("/me/profile").await;
        assert!(b.path().await.starts_with("/signin?next="));
        b.screenshot("signin").await;
        b.type_into("手机号", &phone).await;
        b.type_into("密码", TEST_PASSWORD).await;
        b.press("登录").await;
        b.wait_for_text("马建国").await;
        assert_eq!(b.path().await, "/me/profile");
        b
    })
    .await;
    // What the browser saved is what the API serves.
    let token = app.login(&phone, TEST_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let me: serde_json::Value = app
        .get_auth("/api/v1/me/worker", &token)
        .await
        .json()
        .await
        .unwrap_or_default();
    if me.is_null() {
        return; // skipped: no browser
    }
    assert_eq!(me["home_region"], "630224");
    assert_eq!(me["destinations"], serde_json::json!(["440100"]));
    assert_eq!(me["skills"][0]["occupation_code"], "6-18-02-04");
    assert_eq!(me["min_wage"], 5000);
}

#[tokio::test]
async fn worker_signs_up_and_fills_the_profile_js_on() {
    worker_story(Js::On).await;
}

#[tokio::test]
async fn worker_signs_up_and_fills_the_profile_js_off() {
    worker_story(Js::Off).await;
}

async fn bad_input_story(js: Js) {
    let app = spawn_app().await;
    with_browser("bad_input", &app.address, js, |b| async move {
        b.goto("/signup").await;
        b.type_into("手机号", "12345").await;
        b.type_into("密码", "short").await;
        b.press("注册").await;
        b.wait_for_text("手机号应为 11 位数字").await;
        b.wait_for_text("密码至少 8 个字符").await;
        b.screenshot("signup-errors").await;
        sign_up(&b, &unique_phone()).await;
        b.type_into("姓名", "马建国").await;
        b.type_into("出生年份", "一九九零").await;
        b.choose_in(Some("户籍所在县"), "省", "青海省").await;
        b.press("保存").await;
        b.wait_for_text("请填数字").await;
        let text = b.body_text().await;
        assert!(text.contains("请选择性别"), "{text}");
        assert!(text.contains("请选到县（区）一级"), "{text}");
        assert!(text.contains("请至少选一个地方"), "{text}");
        // What was typed is kept.
        let name = b.field("姓名").await.prop("value").await.unwrap();
        assert_eq!(name.as_deref(), Some("马建国"));
        b.screenshot("profile-errors").await;
        b
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_answered_beside_the_field_js_on() {
    bad_input_story(Js::On).await;
}

#[tokio::test]
async fn bad_input_is_answered_beside_the_field_js_off() {
    bad_input_story(Js::Off).await;
}
