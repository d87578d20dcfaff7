//! The employer's story in the browser, JavaScript on and off: opens the account from the
//! office's invitation, posts an opening (the occupation suggested from the title), sees the
//! certified welder first among the candidates, invites him, moves his application along the
//! pipeline and records the placement.

use chrono::{Duration, Local};
use fantoccini::Locator;
use serde_json::{json, Value};

use super::{with_browser, Js};
use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};
use crate::program::worker_body;

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let resp = app.post_json(path, Some(token), &body).await;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{path}: {status} {body}");
    body
}

/// Two welders of 化隆 who go to Guangdong: 马建国, certified by a training center (1 year),
/// and 韩小龙, self-declared with 5 years. Answers 马建国's token (he claimed his profile).
async fn two_welders(app: &TestApp, admin: &str) -> String {
    let officer = app.officer_token(admin, "630224").await;
    let phone = unique_phone();
    let mut ma = worker_body("马建国", "63212419880101017");
    ma["phone"] = json!(phone);
    ma["skills"] = json!([{"occupation_code": "6-18-02-04", "years_experience": 1}]);
    let ma = post(app, "/api/v1/workers", &officer, ma).await;
    let mut han = worker_body("韩小龙", "63212419900202023");
    han["skills"] = json!([{"occupation_code": "6-18-02-04", "years_experience": 5}]);
    post(app, "/api/v1/workers", &officer, han).await;
    let (_, center) = app.org_token(&officer, "center", "630224").await;
    let today = Local::now().date_naive();
    let course = post(
        app,
        "/api/v1/courses",
        &center,
        json!({
            "title": "电焊工培训班", "occupation_codes": ["6-18-02-04"], "hours": 120,
            "starts_on": (today - Duration::days(90)).to_string(),
            "ends_on": (today - Duration::days(30)).to_string(), "capacity": 40,
            "location_region": "630224", "certificate_level": 4
        }),
    )
    .await;
    let enrollment = post(
        app,
        &format!("/api/v1/courses/{}/enrollments", course["id"]),
        &center,
        json!({"worker_id": ma["id"]}),
    )
    .await;
    post(
        app,
        &format!("/api/v1/enrollments/{}/result", enrollment["id"]),
        &center,
        json!({"passed": true, "score": 88, "certificate_number": "QH-HJ-2026-0001"}),
    )
    .await;
    let claim = post(
        app,
        &format!("/api/v1/workers/{}/claim-code", ma["id"]),
        &officer,
        json!({}),
    )
    .await;
    let signed_up = app
        .post_json(
            "/api/v1/auth/register",
            None,
            &json!({"phone": phone, "password": TEST_PASSWORD, "claim_code": claim["code"]}),
        )
        .await;
    assert_eq!(signed_up.status().as_u16(), 201);
    let body: Value = signed_up.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn invitation_code(app: &TestApp, admin: &str) -> String {
    let credit = labormatch::domain::complete_credit_code(&format!(
        "91440101MC{:07}",
        std::process::id() % 10_000_000
    ))
    .unwrap();
    let created = post(
        app,
        "/api/v1/organizations",
        admin,
        json!({"kind": "employer", "name": "番禺钢构厂", "region_code": "440113",
               "credit_code": credit}),
    )
    .await;
    created["invitation"]["code"].as_str().unwrap().to_string()
}

/// The worker's own move, through the API (his phone is not in this browser).
async fn worker_moves(app: &TestApp, token: &str, to: &str) {
    let mine: Value = app
        .get_auth("/api/v1/me/applications", token)
        .await
        .json()
        .await
        .unwrap();
    let id = &mine["items"][0]["id"];
    post(
        app,
        &format!("/api/v1/applications/{id}/transitions"),
        token,
        json!({ "to": to }),
    )
    .await;
}

async fn employer_story(js: Js) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let ma = two_welders(&app, &admin).await;
    let code = invitation_code(&app, &admin).await;
    let app_ref = &app;
    let ma_ref = &ma;
    with_browser("employer_story", &app.address, js, |b| async move {
        b.goto(&format!("/invitation?code={code}")).await;
        b.screenshot("invitation").await;
        b.type_into("手机号", &unique_phone()).await;
        b.type_into("密码", TEST_PASSWORD).await;
        b.type_into("称呼", "刘经理").await;
        b.press("开通账号").await;
        b.press("我的岗位").await;
        b.wait_for_text("还没有发布岗位").await;
        b.screenshot("employer-openings").await;
        b.press("发布新岗位").await;
        b.type_into("岗位名称", "招电焊工 持证上岗").await;
        if b.js == Js::Off {
            b.press("推荐工种").await;
        }
        // The occupation suggested from the title, preselected.
        let chosen = loop_for_value(&b, "工种（按岗位名称推荐，可以改）", "6-18-02-04").await;
        assert_eq!(chosen, "6-18-02-04");
        let work = Some("工作地点");
        b.choose_in(work, "省", "广东省").await;
        b.after_choice("工作地点", "更新选项", "市").await;
        b.choose_in(work, "市", "广州市").await;
        b.type_into("月薪最低（元）", "6000").await;
        b.type_into("月薪最高（元）", "8000").await;
        b.type_into("招聘人数", "3").await;
        b.screenshot("opening-form").await;
        b.press("保存").await;
        b.wait_for_text("推荐人选").await;
        b.wait_for_text("推荐理由").await;
        let first = b
            .client
            .find(Locator::Css("li.candidate"))
            .await
            .expect("a candidate")
            .text()
            .await
            .unwrap();
        assert!(first.contains("1. 马**"), "{first}");
        assert!(
            first.contains("持证焊工"),
            "the certified welder first: {first}"
        );
        let all = b.body_text().await;
        assert!(all.contains("2. 韩**"), "{all}");
        assert!(
            !all.contains("马建国") && !all.contains("韩小龙"),
            "names masked"
        );
        b.screenshot("candidates").await;
        b.press("邀请").await;
        b.wait_for_text("已发出邀请").await;

        worker_moves(app_ref, ma_ref, "applied").await;
        b.press("申请进度").await;
        b.wait_for_text("马**").await;
        for (button, then) in [
            ("列入候选", "安排面试"),
            ("安排面试", "录用"),
            ("录用", "已录用，等你确认"),
        ] {
            b.press(button).await;
            b.wait_for_text("已更新").await;
            b.wait_for_text(then).await;
        }
        worker_moves(app_ref, ma_ref, "accepted").await;
        b.goto(&b.path().await).await;
        b.wait_for_text("已接受").await;
        b.screenshot("pipeline").await;
        b.press("登记上岗").await;
        b.type_into("约定月薪（元）", "7000").await;
        b.screenshot("placement-form").await;
        b.press("登记上岗").await;
        b.wait_for_text("已登记上岗，回访已排期").await;
        b.press("待回访").await;
        b.wait_for_text("待回访").await;
        b.screenshot("followups-due").await;
        b
    })
    .await;
    // What the pages did is what the API holds: 马建国 placed.
    let me: Value = app
        .get_auth("/api/v1/me/worker", &ma)
        .await
        .json()
        .await
        .unwrap_or_default();
    if super::driver().is_err() {
        return; // skipped: no browser
    }
    assert_eq!(me["status"], "placed", "{me}");
}

/// The value of a select once it has one (htmx may still be swapping it in).
async fn loop_for_value(b: &super::Browser, label: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        b.htmx_idle().await;
        let field = b.field(label).await;
        last = field.prop("value").await.ok().flatten().unwrap_or_default();
        if last == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    last
}

#[tokio::test]
async fn employer_posts_sees_the_certified_welder_first_invites_and_places_js_on() {
    employer_story(Js::On).await;
}

#[tokio::test]
async fn employer_posts_sees_the_certified_welder_first_invites_and_places_js_off() {
    employer_story(Js::Off).await;
}
