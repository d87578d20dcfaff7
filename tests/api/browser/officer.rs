//! A county officer in the browser: registers a household and a worker, prints the worker's
//! claim code, records the due follow-up of the worker's placement and sees the placement move
//! the dashboard's figures for the county; an officer of another county sees none of it. With
//! JavaScript on and off.

use fantoccini::Locator;
use serde_json::{json, Value};

use super::center::sign_in;
use super::{with_browser, Browser, Js};
use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};

async fn officer_phone(app: &TestApp, admin: &str, region: &str) -> String {
    let phone = unique_phone();
    let resp = app
        .post_json(
            "/api/v1/officers",
            Some(admin),
            &json!({ "phone": phone, "password": TEST_PASSWORD, "region_code": region }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    phone
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let resp = app.post_json(path, Some(token), &body).await;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status < 300, "{path}: {status} {body}");
    body
}

/// The employer invites the worker, the officer answers for the worker (who has no
/// smartphone), the employer offers, the officer accepts, and the employer records the start
/// 35 days ago: the one-month follow-up is now overdue.
async fn place_worker(app: &TestApp, admin: &str, officer: &str, worker_id: i64) {
    let (_, employer) = app.org_token(admin, "employer", "440113").await;
    let opening = post(
        app,
        "/api/v1/openings",
        &employer,
        json!({
            "title": "焊工", "required_occupations": ["6-18-02-04"], "work_region": "440113",
            "wage_min": 6000, "wage_max": 9000, "headcount": 3, "start_date": "2027-03-01",
            "deadline": "2027-02-20", "status": "open"
        }),
    )
    .await;
    let oid = opening["id"].as_i64().unwrap();
    let invited = post(
        app,
        &format!("/api/v1/openings/{oid}/invitations"),
        &employer,
        json!({ "worker_id": worker_id }),
    )
    .await;
    let aid = invited["id"].as_i64().unwrap();
    let path = format!("/api/v1/applications/{aid}/transitions");
    post(app, &path, officer, json!({ "to": "applied" })).await;
    for to in ["shortlisted", "interviewing", "offered"] {
        post(app, &path, &employer, json!({ "to": to })).await;
    }
    post(app, &path, officer, json!({ "to": "accepted" })).await;
    let start = chrono::Local::now().date_naive() - chrono::Duration::days(35);
    post(
        app,
        &format!("/api/v1/applications/{aid}/placement"),
        &employer,
        json!({ "start_date": start.to_string(), "agreed_wage": 6000 }),
    )
    .await;
}

/// The dashboard's cell `key` in the row of `group`, or None when the group has no row.
async fn dashboard_cell(b: &Browser, group: &str, key: &str) -> Option<String> {
    let css = format!("#table-placements tr[data-group='{group}'] td[data-k='{key}']");
    match b.client.find(Locator::Css(&css)).await {
        Ok(e) => Some(e.text().await.unwrap_or_default()),
        Err(_) => None,
    }
}

async fn register_household(b: &Browser) {
    b.goto("/office/households/new").await;
    b.wait_for_text("登记家庭").await;
    b.type_into("户籍编号", "HL-2026-0001").await;
    b.choose("所在县（区）", "化隆").await;
    b.type_into("村", "甘都镇东村").await;
    b.type_into("家庭人口", "4").await;
    b.type_into("人均年收入（元）", "3000").await;
    b.type_into("收入评估日期", "2026-01-15").await;
    b.choose("类别", "建档立卡贫困户").await;
    b.press("保存").await;
    b.wait_for_text("已保存").await;
    assert!(b.body_text().await.contains("HL-2026-0001"));
}

async fn register_worker(b: &Browser, id_number: &str, phone: &str) -> i64 {
    b.goto("/office/workers/new").await;
    b.wait_for_text("登记劳动力").await;
    b.type_into("姓名", "马福海").await;
    b.type_into("身份证号", id_number).await;
    b.type_into("手机号", phone).await;
    b.type_into("出生年份", "1990").await;
    b.choose("性别", "男").await;
    b.choose("户籍所在县", "化隆").await;
    b.type_into("所属家庭户籍编号", "HL-2026-0001").await;
    b.type_into("最低月薪（元）", "4000").await;
    b.press("保存").await;
    b.wait_for_text("已保存").await;
    let path = b.path().await;
    path.trim_start_matches("/office/workers/")
        .trim_end_matches("?saved=1")
        .parse()
        .unwrap_or_else(|_| panic!("a worker page, not {path}"))
}

async fn officer_story(js: Js) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let phone = officer_phone(&app, &admin, "630224").await;
    let other_phone = officer_phone(&app, &admin, "630225").await;
    let officer_token = app.login(&phone, TEST_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let id_number = labormatch::domain::complete_id_number("63212719900606003").unwrap();
    let worker_phone = unique_phone();
    let worker_out = std::sync::Arc::new(std::sync::Mutex::new(0i64));
    let worker_slot = worker_out.clone();
    let (app_ref, admin_ref, officer_ref) = (&app, admin.clone(), officer_token.clone());
    with_browser("officer_story", &app.address, js, |b| async move {
        sign_in(&b, &phone).await;
        register_household(&b).await;
        let worker = register_worker(&b, &id_number, &worker_phone).await;
        *worker_slot.lock().unwrap() = worker;
        assert!(b.body_text().await.contains("HL-2026-0001"));
        b.press("生成认领码").await;
        b.wait_for_text("认领码").await;
        let code = b
            .client
            .find(Locator::Id("claim-code"))
            .await
            .expect("the claim code")
            .text()
            .await
            .unwrap();
        assert_eq!(code.len(), 9, "{code}");
        assert_eq!(&code[4..5], "-", "{code}");
        b.screenshot("claim-code").await;

        // Before the placement: nothing placed in Hualong.
        b.goto("/dashboard?group_by=county&from=2000-01-01").await;
        b.wait_for_text("就业成效看板").await;
        let before = dashboard_cell(&b, "630224", "placed").await;
        assert!(
            before.is_none() || before.as_deref() == Some("0"),
            "{before:?}"
        );

        place_worker(app_ref, &admin_ref, &officer_ref, worker).await;

        b.goto("/office/followups").await;
        b.wait_for_text("马*").await;
        b.screenshot("followups").await;
        let text = b.body_text().await;
        assert!(
            b.client.find(Locator::Css("tr.overdue")).await.is_ok(),
            "the one-month follow-up is overdue: {text}"
        );
        b.choose("就业情况（马**）", "原单位在岗").await;
        b.type_into("月收入（元）（马**）", "6000").await;
        b.type_into("工资凭证号（马**）", "WS-2026-11").await;
        b.press("登记").await;
        b.wait_for_text("已登记").await;
        assert!(b.body_text().await.contains("没有到期的回访"));

        b.goto("/dashboard?group_by=county&from=2000-01-01").await;
        b.wait_for_text("就业成效看板").await;
        assert_eq!(
            dashboard_cell(&b, "630224", "placed").await.as_deref(),
            Some("1")
        );
        assert_eq!(
            dashboard_cell(&b, "630224", "households_crossed_up")
                .await
                .as_deref(),
            Some("1"),
            "4 people at 6000 a month for one of them: above the line"
        );
        assert_eq!(
            dashboard_cell(&b, "630224", "people_crossed_up")
                .await
                .as_deref(),
            Some("4")
        );
        if b.js == Js::On {
            // The charts are drawn (uPlot makes a canvas in each box).
            b.client
                .wait()
                .at_most(std::time::Duration::from_secs(10))
                .for_element(Locator::Css("#chart-placements canvas"))
                .await
                .expect("a drawn chart");
        }
        b
    })
    .await;
    let worker = *worker_out.lock().unwrap();
    if worker == 0 {
        return; // skipped: no browser
    }
    // Another county's officer sees none of it.
    with_browser(
        "officer_story_other_county",
        &app.address,
        js,
        |b| async move {
            sign_in(&b, &other_phone).await;
            b.goto("/office/households").await;
            b.wait_for_text("家庭").await;
            assert!(!b.body_text().await.contains("HL-2026-0001"));
            b.goto("/office/workers").await;
            b.wait_for_text("劳动力").await;
            assert!(!b.body_text().await.contains("马福海"));
            b.goto(&format!("/office/workers/{worker}")).await;
            b.wait_for_text("找不到").await;
            b.goto("/office/followups").await;
            b.wait_for_text("回访").await;
            assert!(!b.body_text().await.contains("马*"));
            b.goto("/dashboard?group_by=county&from=2000-01-01").await;
            b.wait_for_text("就业成效看板").await;
            assert_eq!(dashboard_cell(&b, "630224", "placed").await, None);
            b
        },
    )
    .await;
}

#[tokio::test]
async fn officer_registers_records_a_followup_and_moves_the_dashboard_js_on() {
    officer_story(Js::On).await;
}

#[tokio::test]
async fn officer_registers_records_a_followup_and_moves_the_dashboard_js_off() {
    officer_story(Js::Off).await;
}
