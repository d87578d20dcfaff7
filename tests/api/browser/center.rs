//! A training center in the browser: creates a course, uploads a graduates file with three bad
//! rows, sees exactly those three with their reasons, downloads them, mends and resends them,
//! and ends with every graduate certified. With JavaScript on (htmx sends the file with a
//! progress bar) and off (a plain form).

use base64::Engine;
use fantoccini::Locator;
use serde_json::{json, Value};

use super::{with_browser, Browser, Js};
use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};

/// A center (or employer) organization in `region` and the phone of its first staff account.
pub async fn staff_account(
    app: &TestApp,
    staff_token: &str,
    kind: &str,
    region: &str,
) -> (i64, String) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed) + std::process::id() as u64 * 1000 + 500;
    let credit =
        labormatch::domain::complete_credit_code(&format!("91630101MA{:07}", n % 10_000_000))
            .unwrap();
    let resp = app
        .post_json(
            "/api/v1/organizations",
            Some(staff_token),
            &json!({ "kind": kind, "name": format!("化隆培训{n}"), "region_code": region, "credit_code": credit }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201, "create organization");
    let body: Value = resp.json().await.unwrap();
    let org = body["organization"]["id"].as_i64().unwrap();
    let code = body["invitation"]["code"].as_str().unwrap().to_string();
    let phone = unique_phone();
    let resp = app
        .post_json(
            "/api/v1/auth/accept-invitation",
            None,
            &json!({ "code": code, "phone": phone, "password": TEST_PASSWORD }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201, "accept invitation");
    (org, phone)
}

pub async fn sign_in(b: &Browser, phone: &str) {
    b.goto("/signin").await;
    b.type_into("手机号", phone).await;
    b.type_into("密码", TEST_PASSWORD).await;
    b.press("登录").await;
    b.wait_for_text("退出登录").await;
}

/// Sends the upload form with `file` and waits for its report: with scripts on htmx swaps the
/// report in under the form (the page stays), without them the form is posted.
pub async fn upload(b: &Browser, file: &std::path::Path) {
    let input = b.field("CSV 文件").await;
    input
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    if b.js == Js::On {
        b.htmx_idle().await;
        let button = b
            .client
            .find(Locator::XPath(
                "//form[@id='upload-form']//button[normalize-space(.)='上传']",
            ))
            .await
            .expect("upload button");
        button.click().await.expect("upload");
        b.htmx_idle().await;
    } else {
        b.press("上传").await;
    }
    b.wait_for_text("检查结果").await;
}

/// The report's failed lines: (row, column, reason).
pub async fn failed_lines(b: &Browser) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for tr in b
        .client
        .find_all(Locator::Css("#report tr.failed"))
        .await
        .expect("rows")
    {
        let cells = tr.find_all(Locator::Css("td")).await.expect("cells");
        let mut texts = Vec::new();
        for c in cells {
            texts.push(c.text().await.unwrap_or_default());
        }
        out.push((texts[0].clone(), texts[1].clone(), texts[3].clone()));
    }
    out
}

/// What the "download the failed rows" link holds.
pub async fn failed_download(b: &Browser) -> String {
    let link = b
        .client
        .find(Locator::Id("failed-rows"))
        .await
        .expect("the failed-rows link");
    assert_eq!(
        link.attr("download").await.unwrap().as_deref(),
        Some("failed-rows.csv")
    );
    let href = link.attr("href").await.unwrap().expect("href");
    let b64 = href
        .strip_prefix("data:text/csv;charset=utf-8;base64,")
        .expect("a CSV data link");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    let text = String::from_utf8(bytes).expect("utf-8");
    text.trim_start_matches('\u{feff}').to_string()
}

async fn create_course(b: &Browser) -> i64 {
    b.goto("/center/courses").await;
    b.press("新建课程").await;
    b.wait_for_text("新建课程").await;
    b.type_into("课程名称", "电焊工培训班").await;
    b.type_into("培训什么工种", "电焊").await;
    if b.js == Js::Off {
        b.press("查找工种").await;
    }
    b.choose("选择工种", "焊工").await;
    b.type_into("课时", "120").await;
    b.type_into("名额", "30").await;
    b.type_into("开课日期", "2026-03-01").await;
    b.type_into("结业日期", "2026-04-30").await;
    b.choose("上课地点", "化隆").await;
    b.press("保存").await;
    b.wait_for_text("按身份证号报名").await;
    let path = b.path().await;
    path.trim_start_matches("/center/courses/")
        .parse()
        .unwrap_or_else(|_| panic!("a course page, not {path}"))
}

fn id_number(first17: &str) -> String {
    labormatch::domain::complete_id_number(first17).unwrap()
}

fn wrong_check(id: &str) -> String {
    let wrong = if id.ends_with('1') { '2' } else { '1' };
    format!("{}{wrong}", &id[..17])
}

async fn center_story(js: Js) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, phone) = staff_account(&app, &officer, "center", "630224").await;
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_path_buf();
    let ids: Vec<String> = [
        "63212719900101001",
        "63212719910202002",
        "63212719920303003",
        "63212719930404004",
        "63212719940505005",
    ]
    .iter()
    .map(|f| id_number(f))
    .collect();
    let ids_in = ids.clone();
    let course = std::sync::Arc::new(std::sync::Mutex::new(0i64));
    let course_out = course.clone();
    with_browser("center_story", &app.address, js, |b| async move {
        let ids = ids_in;
        sign_in(&b, &phone).await;
        let cid = create_course(&b).await;
        *course_out.lock().unwrap() = cid;
        b.goto("/center/graduates").await;
        b.wait_for_text("上传结业名单").await;
        b.screenshot("graduates-upload").await;
        // Rows 3, 4 and 6 are bad: a wrong check character, a result that is neither pass nor
        // fail, a pass without its certificate number.
        let header = "course_id,name,id_number,home_region,passed,certificate_number";
        let first = format!(
            "{header}\r\n\
             {cid},马军,{},630224,合格,HL-0001\r\n\
             {cid},韩芳,{},630224,合格,HL-0002\r\n\
             {cid},马丽,{},630224,也许,HL-0003\r\n\
             {cid},冶成,{},630224,合格,HL-0004\r\n\
             {cid},李强,{},630224,合格,\r\n",
            ids[0],
            wrong_check(&ids[1]),
            ids[2],
            ids[3],
            ids[4]
        );
        let file = dir_path.join("graduates.csv");
        std::fs::write(&file, first.as_bytes()).unwrap();
        upload(&b, &file).await;
        b.screenshot("graduates-report").await;
        let lines = failed_lines(&b).await;
        let rows: Vec<&str> = lines.iter().map(|(r, _, _)| r.as_str()).collect();
        assert_eq!(rows, ["3", "4", "6"], "{lines:?}");
        assert_eq!(lines[0].1, "id_number");
        assert!(lines[0].2.contains("校验码"), "{lines:?}");
        assert_eq!(lines[1].1, "passed");
        assert!(lines[1].2.contains("合格"), "{lines:?}");
        assert_eq!(lines[2].1, "certificate_number");
        assert!(lines[2].2.contains("证书编号"), "{lines:?}");
        assert_eq!(
            b.client
                .find(Locator::Id("rows-failed"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
            "3"
        );

        let failed = failed_download(&b).await;
        let failed_lines: Vec<&str> = failed.lines().collect();
        assert_eq!(failed_lines.len(), 4, "{failed}");
        assert_eq!(failed_lines[0], header);
        assert!(failed_lines[1].contains("韩芳"), "{failed}");
        assert!(failed_lines[2].contains("马丽"), "{failed}");
        assert!(failed_lines[3].contains("李强"), "{failed}");

        // Mended as a clerk would: the right ID number, 合格, the missing certificate number.
        let mended = failed
            .replace(&wrong_check(&ids[1]), &ids[1])
            .replace("也许", "合格")
            .replace(
                &format!("{},630224,合格,", ids[4]),
                &format!("{},630224,合格,HL-0005", ids[4]),
            );
        let file = dir_path.join("mended.csv");
        std::fs::write(&file, mended.as_bytes()).unwrap();
        b.goto("/center/graduates").await;
        upload(&b, &file).await;
        b.wait_for_text("所有行都已保存").await;
        assert!(failed_lines_empty(&b).await);

        b.goto(&format!("/center/courses/{cid}")).await;
        b.wait_for_text("电焊工培训班").await;
        let text = b.body_text().await;
        for name in ["马军", "韩芳", "马丽", "冶成", "李强"] {
            assert!(text.contains(name), "{name} on the course page: {text}");
        }
        assert!(!text.contains("在读"), "nobody left in training: {text}");
        b.screenshot("course").await;
        b
    })
    .await;
    let cid = *course.lock().unwrap();
    if cid == 0 {
        return; // skipped: no browser
    }
    // Every graduate is certified, as the API tells it.
    let resp = app
        .get_auth(&format!("/api/v1/courses/{cid}/enrollments"), &admin)
        .await;
    let body: Value = resp.json().await.unwrap();
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 5, "{body}");
    assert!(items.iter().all(|e| e["status"] == "passed"), "{body}");
    let db = app.db().await;
    let certified: i64 = db
        .query_one(
            "SELECT count(DISTINCT w.id) FROM worker_skills s JOIN workers w ON w.id = s.worker_id
             WHERE s.source = 'certified' AND w.id_number = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(certified, 5);
}

async fn failed_lines_empty(b: &Browser) -> bool {
    failed_lines(b).await.is_empty()
}

#[tokio::test]
async fn center_uploads_graduates_mends_failed_rows_js_on() {
    center_story(Js::On).await;
}

#[tokio::test]
async fn center_uploads_graduates_mends_failed_rows_js_off() {
    center_story(Js::Off).await;
}
