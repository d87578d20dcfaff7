//! The staff pages over plain HTTP: the dashboard's figures are the API's, the year's targets
//! (API and progress), and the staff pages' weight budgets.

use std::collections::HashMap;

use chrono::Datelike;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, unique_phone, TestApp, TEST_PASSWORD};
use crate::pages::{transferred, PageClient};

/// An officer of `region` with a known phone.
async fn officer(app: &TestApp, admin: &str, region: &str) -> (String, String) {
    let phone = unique_phone();
    let resp = app
        .post_json(
            "/api/v1/officers",
            Some(admin),
            &json!({ "phone": phone, "password": TEST_PASSWORD, "region_code": region }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let token = app.login(&phone, TEST_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    (phone, token)
}

async fn page_sign_in<'a>(app: &'a TestApp, phone: &str) -> PageClient<'a> {
    let mut pc = PageClient::new(app);
    let form = pc.get("/signin").await;
    let answer = pc
        .post(
            "/signin",
            &[
                ("csrf", &form.csrf()),
                ("phone", phone),
                ("password", TEST_PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    pc
}

fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The JSON the dashboard page embeds for its charts.
fn embedded(body: &str) -> Value {
    let start = body
        .find("<script type=\"application/json\" id=\"dashboard-data\">")
        .expect("the dashboard's data");
    let rest = &body[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</script>").unwrap();
    serde_json::from_str(&rest[open..close]).unwrap()
}

fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if v.is_f64() => format!("{x:.4}"),
        Some(_) => v.to_string(),
        None => String::new(),
    }
}

#[tokio::test]
async fn dashboard_figures_equal_the_stats_api_for_the_same_filters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (phone, token) = officer(&app, &admin, "630000").await;
    crate::outcomes::seed_known_world(&app).await;
    let mut pc = page_sign_in(&app, &phone).await;
    let today = chrono::Local::now().date_naive();
    let from = "2000-01-01".to_string();
    let to = today.to_string();
    let mut compared = 0;
    for group in [
        "county",
        "village",
        "course",
        "center",
        "employer",
        "occupation",
    ] {
        for region in ["", "630224"] {
            let mut q = format!("group_by={group}&from={from}&to={to}");
            if !region.is_empty() {
                q.push_str(&format!("&region={region}"));
            }
            let api: Value = app
                .get_auth(&format!("/api/v1/stats/outcomes?{q}"), &token)
                .await
                .json()
                .await
                .unwrap();
            let api = api.as_array().expect("rows").clone();
            let csv = pc.get(&format!("/dashboard.csv?{q}")).await;
            assert_eq!(csv.status, 200, "{}", csv.body);
            let rows = csv_rows(&csv.body);
            assert_eq!(rows.len(), api.len(), "{group} {region}: {}", csv.body);
            for (row, a) in rows.iter().zip(&api) {
                assert_eq!(row["group"], a["group"].as_str().unwrap());
                for (k, v) in a.as_object().unwrap() {
                    if k == "group" {
                        continue;
                    }
                    assert_eq!(row[k.as_str()], num(v), "{group} {region} {k}");
                    compared += 1;
                }
            }
            let page = pc.get(&format!("/dashboard?{q}")).await;
            assert_eq!(page.status, 200);
            let data = embedded(&page.body);
            let placed: Vec<i64> = api.iter().map(|a| a["placed"].as_i64().unwrap()).collect();
            let shown: Vec<i64> = data["placed"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_i64().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(shown, placed, "{group} {region}");
            for a in &api {
                let cell = format!(
                    "data-group=\"{}\"",
                    a["group"].as_str().unwrap().replace('"', "&quot;")
                );
                assert!(page.body.contains(&cell), "{group}: row {cell}");
            }
        }
    }
    assert!(compared > 100, "compared {compared} figures");

    // The figures the API gained, with the known world's answers: Hualong's household H1
    // (4 people, assessed 3000) is above the 6000 line with its members' wages.
    let county: Value = app
        .get_auth("/api/v1/stats/outcomes?group_by=county", &token)
        .await
        .json()
        .await
        .unwrap();
    let hualong = &county[0];
    assert_eq!(hualong["group"], "630224");
    assert_eq!(hualong["households_crossed_up"], 1);
    assert_eq!(hualong["people_crossed_up"], 4);
    assert_eq!(hualong["wage_p25"], 5250.0);
    assert_eq!(hualong["wage_p75"], 5750.0);
    assert_eq!(
        hualong["retention_1m"], 0.0,
        "no 1-month follow-up was recorded"
    );
    assert_eq!(county[1]["households_crossed_up"], 0);

    // An officer of another county sees only hers, and may not ask for Hualong.
    let (xphone, _) = officer(&app, &admin, "630225").await;
    let mut xunhua = page_sign_in(&app, &xphone).await;
    let page = xunhua.get("/dashboard?group_by=county").await;
    assert!(page.body.contains("data-group=\"630225\""));
    assert!(!page.body.contains("data-group=\"630224\""));
    let refused = xunhua.get("/dashboard?region=630224").await;
    assert!(
        refused.body.contains("不在您负责的地区"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("data-group=\"630224\""));
    // An admin picks provinces and prefectures, and inside a prefecture its counties.
    let admin_phone = unique_phone();
    let pool = labormatch::db::build_pool(app.db_config.clone(), &app.settings).unwrap();
    labormatch::services::accounts::create_admin(
        &pool,
        &app.settings,
        &admin_phone,
        TEST_PASSWORD,
        "admin",
    )
    .await
    .unwrap();
    let mut admin_pc = page_sign_in(&app, &admin_phone).await;
    let whole = admin_pc.get("/dashboard").await;
    assert!(
        whole.body.contains(r#"<option value="630200">"#),
        "{}",
        whole.body
    );
    assert!(!whole.body.contains(r#"<option value="630224">"#));
    for narrowed in ["630200", "630224"] {
        let page = admin_pc.get(&format!("/dashboard?region={narrowed}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(r#"<option value="630225">"#),
            "{narrowed}"
        );
        assert!(
            page.body
                .contains(&format!(r#"<option value="{narrowed}" selected>"#)),
            "{narrowed}: {}",
            page.body
        );
        assert!(
            !page.body.contains(r#"<option value="630102">"#),
            "not Xining's"
        );
    }
    let hualong = admin_pc
        .get("/dashboard?region=630224&group_by=county")
        .await;
    assert!(hualong.body.contains("data-group=\"630224\""));
    assert!(!hualong.body.contains("data-group=\"630225\""));
    // Bad filters are answered beside the field.
    let bad = pc.get("/dashboard?from=yesterday&group_by=planet").await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("日期格式应为"), "{}", bad.body);
}

#[tokio::test]
async fn targets_are_set_by_admins_and_progress_counts_the_outcome_figures() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, province) = officer(&app, &admin, "630000").await;
    let (_, xunhua) = officer(&app, &admin, "630225").await;
    crate::outcomes::seed_known_world(&app).await;
    let year = chrono::Local::now().date_naive().year();
    let put = |token: String, county: &'static str, body: Value| {
        let app = &app;
        async move {
            app.client
                .put(app.url(&format!("/api/v1/targets/{county}/{year}")))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let target = json!({ "people_out_of_poverty": 400, "workers_to_place": 120 });
    let resp = put(admin.clone(), "630224", target.clone()).await;
    assert_eq!(resp.status().as_u16(), 200);
    let first_etag = resp.headers()["etag"].to_str().unwrap().to_string();
    let saved: Value = resp.json().await.unwrap();
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["workers_to_place"], 120);
    // Only admins set targets; a county, and sane numbers.
    assert_error(
        put(province.clone(), "630224", target.clone()).await,
        403,
        "forbidden",
    )
    .await;
    let body = assert_error(
        put(admin.clone(), "630000", target.clone()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["details"][0]["reason"], "must_be_a_county");
    let body = assert_error(
        put(
            admin.clone(),
            "630225",
            json!({ "people_out_of_poverty": -1, "workers_to_place": 5 }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["details"][0]["field"], "people_out_of_poverty");
    // Setting again replaces.
    let resp = put(
        admin.clone(),
        "630224",
        json!({ "people_out_of_poverty": 300, "workers_to_place": 100 }),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    // With If-Match, targets changed or set meanwhile are not overwritten.
    let replaced = json!({ "people_out_of_poverty": 300, "workers_to_place": 100 });
    for (county, tag, status, version) in [
        ("630224", first_etag.as_str(), 412, json!(2)),
        ("630224", "\"1\"", 412, json!(2)),
        ("630225", "*", 412, Value::Null),
        ("630225", "\"1\"", 412, Value::Null),
        ("630224", "\"2\"", 200, json!(3)),
        ("630224", "*", 200, json!(4)),
    ] {
        let resp = app
            .put_if_match(
                &format!("/api/v1/targets/{county}/{year}"),
                &admin,
                tag,
                &replaced,
            )
            .await;
        assert_eq!(resp.status().as_u16(), status, "{county} If-Match {tag}");
        let body: Value = resp.json().await.unwrap();
        let seen = if status == 412 {
            &body["extra"]["version"]
        } else {
            &body["version"]
        };
        assert_eq!(*seen, version, "{county} If-Match {tag}: {body}");
    }

    let progress: Value = app
        .get_auth("/api/v1/targets/progress", &province)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["year"], year);
    let counties = progress["counties"].as_array().unwrap();
    assert_eq!(counties.len(), 1, "{progress}");
    let c = &counties[0];
    assert_eq!(c["region_code"], "630224");
    // Done is the outcome statistics of the year so far, by county.
    let from = progress["from"].as_str().unwrap();
    let to = progress["to"].as_str().unwrap();
    let stats: Value = app
        .get_auth(
            &format!("/api/v1/stats/outcomes?group_by=county&from={from}&to={to}"),
            &province,
        )
        .await
        .json()
        .await
        .unwrap();
    let row = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "630224")
        .cloned()
        .unwrap_or(json!({ "placed": 0, "people_crossed_up": 0 }));
    assert_eq!(c["placements"]["done"], row["placed"]);
    assert_eq!(c["people"]["done"], row["people_crossed_up"]);
    assert_eq!(c["placements"]["target"], 100);
    let done = c["placements"]["done"].as_i64().unwrap();
    assert_eq!(c["placements"]["remaining"], 100 - done);
    let expected = c["placements"]["expected_by_now"].as_i64().unwrap();
    assert_eq!(c["placements"]["on_pace"], done >= expected);
    assert_eq!(progress["provinces"][0]["region_code"], "630000");
    assert_eq!(progress["provinces"][0]["people"]["target"], 300);
    // Xunhua's officer sees none of Hualong's targets.
    let other: Value = app
        .get_auth("/api/v1/targets/progress", &xunhua)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["counties"], json!([]));
    assert_error(
        app.get_auth("/api/v1/targets/progress?region=630224", &xunhua)
            .await,
        403,
        "forbidden",
    )
    .await;
    // The dashboard shows the same progress.
    let (phone, _) = officer(&app, &admin, "630224").await;
    let mut pc = page_sign_in(&app, &phone).await;
    let page = pc.get("/dashboard").await;
    assert!(page.body.contains("年度目标进度"), "{}", page.body);
    assert!(page.body.contains("转移就业人数"));
}

#[tokio::test]
async fn staff_pages_stay_within_their_weight_budgets() {
    const PAGE_BUDGET: usize = 75 * 1024;
    const DASHBOARD_BUDGET: usize = 250 * 1024;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (phone, officer_token) = officer(&app, &admin, "630224").await;
    crate::outcomes::seed_known_world(&app).await;
    let mut officer_pc = page_sign_in(&app, &phone).await;
    let (_, center_phone) =
        crate::browser::center::staff_account(&app, &officer_token, "center", "630224").await;
    let center_pc = page_sign_in(&app, &center_phone).await;
    let mut report = Vec::new();
    for path in [
        "/center/courses",
        "/center/courses/new",
        "/center/graduates",
    ] {
        report.push((path, transferred(&app, &center_pc, path).await, PAGE_BUDGET));
    }
    for path in [
        "/office/households",
        "/office/households/new",
        "/office/households/upload",
        "/office/workers",
        "/office/workers/new",
        "/office/followups",
        "/office/reports",
    ] {
        report.push((
            path,
            transferred(&app, &officer_pc, path).await,
            PAGE_BUDGET,
        ));
    }
    report.push((
        "/dashboard",
        transferred(&app, &officer_pc, "/dashboard?from=2000-01-01").await,
        DASHBOARD_BUDGET,
    ));
    for (path, (html, total), budget) in &report {
        println!("page weight {path}: first HTML {html} B, total {total} B (budget {budget} B)");
        assert!(total <= budget, "{path}: {total} B > {budget} B");
    }
    // Every table column has a header a screen reader can say (Lighthouse's td-has-header
    // failed on the empty headers of the action columns).
    let mut center_pc = center_pc;
    for path in ["/center/courses", "/center/graduates"] {
        let page = center_pc.get(path).await;
        assert!(!page.body.contains("<th></th>"), "{path}");
    }
    for path in [
        "/office/households",
        "/office/workers",
        "/office/followups",
        "/dashboard",
    ] {
        let page = officer_pc.get(path).await;
        assert!(!page.body.contains("<th></th>"), "{path}");
    }
    // The chart library is on the dashboard only.
    let chart = labormatch::web::assets::URLS.chart_js.clone();
    let page = officer_pc.get("/office/households").await;
    assert!(!page.body.contains(&chart));
    let page = officer_pc.get("/dashboard").await;
    assert!(page.body.contains(&chart));
}

#[tokio::test]
async fn a_center_replaces_its_own_course_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, center) = app.org_token(&officer, "center", "630224").await;
    let (_, other) = app.org_token(&officer, "center", "630224").await;
    let course = json!({
        "title": "拉面技能培训", "occupation_codes": ["4-03-02-02"], "hours": 90,
        "starts_on": "2026-08-01", "ends_on": "2026-09-01", "capacity": 30,
        "location_region": "630224", "certificate_level": 5
    });
    let created: Value = app
        .post_json("/api/v1/courses", Some(&center), &course)
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            app.client
                .put(app.url(&format!("/api/v1/courses/{id}")))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let mut changed = course.clone();
    changed["title"] = json!("拉面技能提高班");
    changed["capacity"] = json!(40);
    let resp = put(center.clone(), changed.clone()).await;
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["title"], "拉面技能提高班");
    assert_eq!(body["capacity"], 40);
    assert_error(put(other.clone(), changed.clone()).await, 404, "not_found").await;
    assert_error(
        put(officer.clone(), changed.clone()).await,
        403,
        "forbidden",
    )
    .await;
    // Places never drop below those enrolled.
    for first17 in ["63212719900101001", "63212719910202002"] {
        let id_number = labormatch::domain::complete_id_number(first17).unwrap();
        let birth_year: i32 = first17[6..10].parse().unwrap();
        let worker = app
            .post_json(
                "/api/v1/workers",
                Some(&officer),
                &json!({
                    "name": "马军", "gender": "male", "birth_year": birth_year, "id_number": id_number,
                    "home_region": "630224", "accept_anywhere": true
                }),
            )
            .await;
        assert_eq!(worker.status().as_u16(), 201);
        let resp = app
            .post_json(
                &format!("/api/v1/courses/{id}/enrollments"),
                Some(&center),
                &json!({ "id_number": id_number }),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201);
    }
    changed["capacity"] = json!(1);
    let body = assert_error(
        put(center.clone(), changed.clone()).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["details"][0]["field"], "capacity");
    assert_eq!(body["details"][0]["reason"], "below_enrolled");
}

/// Two clerks of one center edit the same course on the pages: the one who saves over a course
/// changed since her form was filled is told so beside the title, and nothing of the other's
/// change is lost.
#[tokio::test]
async fn a_course_changed_since_its_form_was_filled_is_not_overwritten() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, phone) =
        crate::browser::center::staff_account(&app, &officer, "center", "630224").await;
    let token = app.login(&phone, TEST_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let course = json!({
        "title": "拉面技能培训", "occupation_codes": ["4-03-02-02"], "hours": 90,
        "starts_on": "2026-08-01", "ends_on": "2026-09-01", "capacity": 30,
        "location_region": "630224", "certificate_level": 5
    });
    let created: Value = app
        .post_json("/api/v1/courses", Some(&token), &course)
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let edit = format!("/center/courses/{id}/edit");
    let mut pc = page_sign_in(&app, &phone).await;
    let form = pc.get(&edit).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(r#"name="version" value="1""#),
        "{}",
        form.body
    );
    // Meanwhile the other clerk raises the places.
    let mut raised = course.clone();
    raised["capacity"] = json!(45);
    let resp = app
        .client
        .put(app.url(&format!("/api/v1/courses/{id}")))
        .bearer_auth(&token)
        .json(&raised)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let fields = |version: &'static str, csrf: String| {
        vec![
            ("csrf", csrf),
            ("version", version.to_string()),
            ("title", "拉面技能培训（晚班）".to_string()),
            ("new_skill_code", "4-03-02-02".to_string()),
            ("hours", "90".to_string()),
            ("starts_on", "2026-08-01".to_string()),
            ("ends_on", "2026-09-01".to_string()),
            ("capacity", "30".to_string()),
            ("location_region", "630224".to_string()),
            ("certificate_level", "5".to_string()),
            ("intent", "save".to_string()),
        ]
    };
    let stale = fields("1", form.csrf());
    let stale: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = pc.post(&edit, &stale).await;
    assert_eq!(answer.status, 412, "{}", answer.body);
    assert!(
        answer.body.contains(r#"id="title-error""#),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("数据已被修改"), "{}", answer.body);
    let now: Value = app
        .get_auth(&format!("/api/v1/courses/{id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["capacity"], 45, "the other clerk's change stays");
    // After reloading she saves on the current version.
    let form = pc.get(&edit).await;
    assert!(form.body.contains(r#"name="version" value="2""#));
    let current = fields("2", form.csrf());
    let current: Vec<(&str, &str)> = current.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = pc.post(&edit, &current).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}

/// A `multipart/form-data` body with the CSRF field (when given) and a CSV file.
fn multipart(csrf: Option<&str>, csv: &str) -> (String, Vec<u8>) {
    let boundary = "----labormatch-test-boundary";
    let mut body = Vec::new();
    if let Some(token) = csrf {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"h.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    app: &TestApp,
    pc: &PageClient<'_>,
    path: &str,
    csrf: Option<&str>,
    csv: &str,
) -> (u16, String) {
    let (content_type, body) = multipart(csrf, csv);
    let resp = app
        .client
        .post(app.url(path))
        .header("accept", "text/html")
        .header("accept-language", pc.lang)
        .header("content-type", content_type)
        .header("cookie", pc.cookie_header())
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn staff_forms_answer_beside_the_field_and_uploads_report_row_by_row() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (phone, _) = officer(&app, &admin, "630224").await;
    let mut pc = page_sign_in(&app, &phone).await;

    // A household outside her county, and numbers that are not numbers.
    let form = pc.get("/office/households/new").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("化隆回族自治县"),
        "her counties are offered"
    );
    assert!(
        !form.body.contains("循化撒拉族自治县"),
        "not another county's"
    );
    let answer = pc
        .post(
            "/office/households/new",
            &[
                ("csrf", &form.csrf()),
                ("registry_number", "XH-1"),
                ("county_code", "630225"),
                ("village", "街子村"),
                ("member_count", "four"),
                ("status", "registered_poor"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("请填数字"), "{}", answer.body);
    let answer = pc
        .post(
            "/office/households/new",
            &[
                ("csrf", &form.csrf()),
                ("registry_number", "XH-1"),
                ("county_code", "630225"),
                ("village", "街子村"),
                ("member_count", "4"),
                ("status", "registered_poor"),
            ],
        )
        .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(answer.body.contains("不在您负责的地区"), "{}", answer.body);
    assert!(
        answer.body.contains("value=\"XH-1\""),
        "what was typed is kept"
    );

    // A worker linked to a household that is not hers.
    let form = pc.get("/office/workers/new").await;
    let id_number = labormatch::domain::complete_id_number("63212719900101001").unwrap();
    let answer = pc
        .post(
            "/office/workers/new",
            &[
                ("csrf", &form.csrf()),
                ("name", "马军"),
                ("gender", "male"),
                ("birth_year", "1990"),
                ("id_number", &id_number),
                ("home_region", "630224"),
                ("registry_number", "NO-SUCH"),
                ("education", "junior_high"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("没有这个家庭"), "{}", answer.body);

    // The household upload: the same report page, row by row; without the form's token the
    // file is refused before it is read.
    let page = pc.get("/office/households/upload").await;
    let csv = "registry_number,county_code,village,member_count,status\r\n\
               HL-1,630224,东村,4,贫困户\r\n\
               HL-2,630225,西村,3,贫困户\r\n\
               HL-3,630224,南村,many,监测户\r\n";
    let (status, _) = upload(&app, &pc, "/office/households/upload", None, csv).await;
    assert_eq!(status, 403);
    let (status, body) = upload(
        &app,
        &pc,
        "/office/households/upload",
        Some(&page.csrf()),
        csv,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.matches("<tr class=\"failed\">").count(), 2, "{body}");
    assert!(
        body.contains(
            "<td>3</td><td>county_code</td><td><mark>630225</mark></td><td>不在您负责的地区</td>"
        ),
        "{body}"
    );
    assert!(
        body.contains("<td>4</td><td>member_count</td><td><mark>many</mark></td><td>请填数字</td>"),
        "{body}"
    );
    assert!(body.contains("id=\"failed-rows\""));
    let list = pc.get("/office/households").await;
    assert!(list.body.contains("HL-1") && !list.body.contains("HL-3"));
    // A file without the columns is refused as a whole, in English when asked.
    pc.lang = "en";
    let page = pc.get("/office/households/upload").await;
    let (status, body) = upload(
        &app,
        &pc,
        "/office/households/upload",
        Some(&page.csrf()),
        "a,b\r\n1,2\r\n",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("The file was not accepted"), "{body}");
    assert!(
        body.contains("county_code: The file lacks this column"),
        "{body}"
    );

    // The follow-ups form without a wage while working.
    pc.lang = "zh-CN";
    let page = pc.get("/office/followups").await;
    assert!(page.body.contains("没有到期的回访"));
    let answer = pc
        .post(
            "/office/followups/999999",
            &[("csrf", &page.csrf()), ("employment", "same_employer")],
        )
        .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn staff_pages_are_for_their_staff_only() {
    let app = spawn_app().await;
    let paths = [
        "/center/courses",
        "/center/graduates",
        "/office/households",
        "/office/workers/new",
        "/office/followups",
        "/office/reports",
        "/dashboard",
        "/admin",
        "/admin/accounts",
        "/admin/targets",
    ];
    // Not signed in: sign in first, and come back.
    let mut anonymous = PageClient::new(&app);
    for path in paths {
        let answer = anonymous.get(path).await;
        assert_eq!(answer.status, 303, "{path}");
        assert!(answer.location().starts_with("/signin?next="), "{path}");
    }
    // A job seeker: none of these pages exist for them, and their menu does not show them.
    let mut seeker = PageClient::new(&app);
    seeker.sign_up().await;
    for path in paths {
        assert_eq!(seeker.get(path).await.status, 404, "{path}");
    }
    let home = seeker.get("/").await;
    assert!(!home.body.contains("/office/") && !home.body.contains("/admin"));
    // An officer: her pages, not the center's or the admin's.
    let admin = app.admin_token().await;
    let (phone, _) = officer(&app, &admin, "630224").await;
    let mut pc = page_sign_in(&app, &phone).await;
    for path in ["/office/households", "/office/followups", "/dashboard"] {
        assert_eq!(pc.get(path).await.status, 200, "{path}");
    }
    for path in ["/center/courses", "/admin", "/admin/accounts"] {
        assert_eq!(pc.get(path).await.status, 404, "{path}");
    }
    let home = pc.get("/").await;
    assert!(home.body.contains("href=\"/dashboard\"") && !home.body.contains("href=\"/admin\""));
    // Unknown ids are pages that do not exist, not errors.
    assert_eq!(pc.get("/office/workers/not-a-number").await.status, 404);
    assert_eq!(pc.get("/office/households/999999/edit").await.status, 404);
}

#[tokio::test]
async fn household_outcomes_and_subsidies_list_and_export_the_reports() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (phone, token) = officer(&app, &admin, "630000").await;
    crate::outcomes::seed_known_world(&app).await;
    let mut pc = page_sign_in(&app, &phone).await;
    let page = pc.get("/office/reports").await;
    assert_eq!(page.status, 200);
    // The same lists as the API's reports.
    let crossing: Value = app
        .get_auth("/api/v1/reports/households", &token)
        .await
        .json()
        .await
        .unwrap();
    let subsidy: Value = app
        .get_auth("/api/v1/reports/subsidy-eligibility", &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(!crossing.as_array().unwrap().is_empty());
    for h in crossing.as_array().unwrap() {
        let number = h["registry_number"].as_str().unwrap();
        assert!(
            page.body.contains(&format!("<td>{number}</td>")),
            "{number}"
        );
    }
    let csv = pc.get("/office/reports/households.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("household-outcomes.csv"));
    let rows = csv_rows(&csv.body);
    assert_eq!(rows.len(), crossing.as_array().unwrap().len());
    for (row, h) in rows.iter().zip(crossing.as_array().unwrap()) {
        assert_eq!(
            row["registry_number"],
            h["registry_number"].as_str().unwrap()
        );
        assert_eq!(
            row["estimated_per_capita"],
            h["estimated_per_capita"].to_string()
        );
        assert_eq!(row["crossed"], h["crossed"].as_str().unwrap());
    }
    let csv = pc.get("/office/reports/subsidy.csv").await;
    assert_eq!(csv.status, 200);
    let rows = csv_rows(&csv.body);
    assert_eq!(rows.len(), subsidy.as_array().unwrap().len());
    for (row, s) in rows.iter().zip(subsidy.as_array().unwrap()) {
        assert_eq!(row["worker_id"], s["worker_id"].to_string());
        assert_eq!(
            row["evidence_ref"],
            s["evidence"]["evidence_ref"].as_str().unwrap()
        );
    }
}
