use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn household_count(app: &TestApp) -> i64 {
    app.db()
        .await
        .query_one("SELECT count(*) FROM households", &[])
        .await
        .unwrap()
        .get(0)
}

const HOUSEHOLDS: &str = "\u{feff}registry_number,county_code,village,member_count,status,income_per_capita,income_assessed_on\r\n\
HL-1001,630224,甘都镇,4,贫困户,3800,2026-01-10\r\n\
HL-1002,630224,群科镇,six,monitored,,\r\n\
HL-1003,630225,街子镇,3,registered_poor,,\r\n\
HL-1004,630224,巴燕镇,2,监测户,5200,2026/02/01\r\n";

#[tokio::test]
async fn household_csv_reports_bad_rows_and_is_idempotent() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (status, report) = app
        .upload_csv("/api/v1/imports/households", &officer, HOUSEHOLDS)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["rows"], 4);
    assert_eq!(report["inserted"], 2);
    assert_eq!(report["failed"], 2);
    let errors = report["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["row"] == 3
            && e["column"] == "member_count"
            && e["reason"] == "not_a_number"),
        "{report}"
    );
    assert!(
        errors.iter().any(|e| e["row"] == 4
            && e["column"] == "county_code"
            && e["reason"] == "outside_your_region"),
        "{report}"
    );
    // The same file again changes nothing.
    let (_, again) = app
        .upload_csv("/api/v1/imports/households", &officer, HOUSEHOLDS)
        .await;
    assert_eq!(again["inserted"], 0);
    assert_eq!(again["updated"], 0);
    assert_eq!(again["unchanged"], 2);
    let db = app.db().await;
    assert_eq!(household_count(&app).await, 2);
    let status: String = db
        .query_one(
            "SELECT status FROM households WHERE registry_number = 'HL-1004'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "monitored");
    // LF line endings, no BOM, one changed row: an update.
    let lf = "registry_number,county_code,village,member_count,status\nHL-1001,630224,甘都镇,5,registered_poor\n";
    let (_, changed) = app
        .upload_csv("/api/v1/imports/households", &officer, lf)
        .await;
    assert_eq!(changed["updated"], 1, "{changed}");
}

#[tokio::test]
async fn all_or_nothing_saves_nothing_when_a_row_is_bad() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (status, report) = app
        .upload_csv(
            "/api/v1/imports/households?mode=all_or_nothing",
            &admin,
            HOUSEHOLDS,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(report["committed"], false);
    assert_eq!(report["failed"], 1, "{report}");
    assert_eq!(household_count(&app).await, 0);
    // Missing columns: the whole file is refused with the missing column named.
    let (status, body) = app
        .upload_csv(
            "/api/v1/imports/households",
            &admin,
            "registry_number,village\nA,B\n",
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["details"][0]["field"], "county_code");
    assert_eq!(body["details"][0]["reason"], "missing_column");
    let (status, body) = app
        .upload_csv(
            "/api/v1/imports/households?mode=sometimes",
            &admin,
            HOUSEHOLDS,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_query");
}

#[tokio::test]
async fn graduates_csv_certifies_workers_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, center) = app.org_token(&officer, "center", "630224").await;
    let course: Value = app
        .post_json(
            "/api/v1/courses",
            Some(&center),
            &json!({
                "title": "拉面技能培训", "occupation_codes": ["4-03-02-02"], "hours": 90,
                "starts_on": "2026-08-01", "ends_on": "2026-09-01", "capacity": 30,
                "location_region": "630224", "certificate_level": 5
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let id_a = labormatch::domain::complete_id_number("63212419970101003").unwrap();
    let id_b = labormatch::domain::complete_id_number("63212419980202004").unwrap();
    let good_c = labormatch::domain::complete_id_number("63212419990101000").unwrap();
    let wrong = if good_c.ends_with('1') { '2' } else { '1' };
    let id_c = format!("{}{wrong}", &good_c[..17]);
    let cid = course["id"].as_i64().unwrap();
    let csv = format!(
        "course_id,name,id_number,home_region,passed,certificate_number,score,destinations\r\n\
         {cid},马军,{id_a},630224,合格,LM-0001,91,440000;310000\r\n\
         {cid},韩芳,{id_b},630224,否,,55,\r\n\
         {cid},错号,{id_c},630224,是,LM-0003,80,\r\n"
    );
    let (status, report) = app
        .upload_csv("/api/v1/imports/graduates", &center, &csv)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["inserted"], 2, "{report}");
    assert_eq!(report["failed"], 1);
    assert_eq!(report["errors"][0]["row"], 4);
    assert_eq!(report["errors"][0]["column"], "id_number");
    let db = app.db().await;
    let certified: i64 = db
        .query_one(
            "SELECT count(*) FROM worker_skills s JOIN workers w ON w.id = s.worker_id
             WHERE w.id_number = $1 AND s.source = 'certified' AND s.occupation_code = '4-03-02-02'",
            &[&id_a],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(certified, 1);
    let changes_before: i64 = db
        .query_one("SELECT count(*) FROM index_changes", &[])
        .await
        .unwrap()
        .get(0);
    let (_, again) = app
        .upload_csv("/api/v1/imports/graduates", &center, &csv)
        .await;
    assert_eq!(again["inserted"], 0, "{again}");
    assert_eq!(again["updated"], 0, "{again}");
    assert_eq!(again["unchanged"], 2, "{again}");
    let changes_after: i64 = db
        .query_one("SELECT count(*) FROM index_changes", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        changes_before, changes_after,
        "a repeated file records no changes"
    );
    // Another center cannot import into this course.
    let (_, other_center) = app.org_token(&officer, "center", "630224").await;
    let (_, report) = app
        .upload_csv("/api/v1/imports/graduates", &other_center, &csv)
        .await;
    assert_eq!(report["failed"], 3);
    assert_eq!(report["errors"][0]["reason"], "unknown_course_or_not_yours");
}

#[tokio::test]
async fn an_upload_cut_off_at_the_limit_saves_nothing() {
    let app = crate::helpers::spawn_app_with(|s| s.import_body_limit = 64 * 1024).await;
    let admin = app.admin_token().await;
    // About 200 KiB of good rows: the first thousand or so are read and written before the
    // limit is reached, and must be rolled back.
    let mut body = String::from("registry_number,county_code,village,member_count,status\n");
    for i in 0..5_000 {
        body.push_str(&format!("CUT-{i:06},630224,甘都镇,4,贫困户\n"));
    }
    let (status, report) = app
        .upload_csv("/api/v1/imports/households", &admin, &body)
        .await;
    assert_eq!(status, 413, "{report}");
    assert_eq!(report["code"], "payload_too_large");
    assert_eq!(household_count(&app).await, 0);
    // Not UTF-8 (a GBK spreadsheet): refused whole, with the line.
    let mut gbk =
        b"registry_number,county_code,village,member_count,status\nA-1,630224,x,4,other\n".to_vec();
    gbk.extend_from_slice(b"A-2,630224,\xb8\xca\xb6\xbc,4,other\n");
    let resp = app
        .client
        .post(app.url("/api/v1/imports/households"))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(gbk)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["details"][0]["field"], "line 3", "{body}");
    assert_eq!(body["details"][0]["reason"], "not_utf8");
    let count = household_count(&app).await;
    assert_eq!(
        count, 0,
        "the good row before the bad bytes is rolled back too"
    );
}

#[tokio::test]
async fn a_large_file_is_saved_in_batches_and_a_refused_row_spoils_only_itself() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // A rule the validation does not know about: the database refuses one registry number,
    // as it would a row that conflicts with data written meanwhile.
    app.db()
        .await
        .batch_execute(
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 RAISE unique_violation USING MESSAGE = 'refused for the test';
             END $$;
             CREATE TRIGGER refuse_one BEFORE INSERT ON households FOR EACH ROW
                 WHEN (NEW.registry_number = 'BIG-000700') EXECUTE FUNCTION refuse_one();",
        )
        .await
        .unwrap();
    let mut body = String::from("registry_number,county_code,village,member_count,status\n");
    for i in 0..1_200 {
        body.push_str(&format!("BIG-{i:06},630224,甘都镇,4,贫困户\n"));
    }
    // The same household twice in one file: the later row wins.
    body.push_str("BIG-000005,630224,群科镇,5,监测户\n");
    let (status, report) = app
        .upload_csv("/api/v1/imports/households", &admin, &body)
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["rows"], 1_201);
    assert_eq!(report["inserted"], 1_199);
    assert_eq!(report["updated"], 1);
    assert_eq!(report["failed"], 1);
    // Row 702: header is row 1, BIG-000700 is the 701st data row.
    assert_eq!(report["errors"][0]["row"], 702, "{report}");
    assert_eq!(report["errors"][0]["column"], "registry_number");
    assert_eq!(
        report["errors"][0]["reason"],
        "conflicts_with_existing_record"
    );
    let db = app.db().await;
    assert_eq!(household_count(&app).await, 1_199);
    let (village, members): (String, i32) = db
        .query_one(
            "SELECT village, member_count FROM households WHERE registry_number = 'BIG-000005'",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((village.as_str(), members), ("群科镇", 5));
    // Every saved row has its audit entry, the refused one none.
    let audited: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_log WHERE entity = 'household' AND action = 'import'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(audited, 1_200);
}
