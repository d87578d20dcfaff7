use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, TestApp};
use crate::program::worker_body;

struct World {
    officer: String,
    employer: String,
    center: String,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let (_, employer) = app.org_token(&admin, "employer", "440113").await;
    let (_, center) = app.org_token(&officer, "center", "630224").await;
    World {
        officer,
        employer,
        center,
    }
}

fn welder(name: &str, id17: &str, certified_years: f32) -> Value {
    let mut w = worker_body(name, id17);
    w["skills"] = json!([{"occupation_code": "6-18-02-04", "years_experience": certified_years}]);
    w
}

async fn create_worker(app: &TestApp, token: &str, body: &Value) -> Value {
    let resp = app.post_json("/api/v1/workers", Some(token), body).await;
    assert_eq!(resp.status().as_u16(), 201);
    resp.json().await.unwrap()
}

async fn create_opening(app: &TestApp, token: &str, title: &str, codes: &[&str]) -> (i64, i64) {
    let resp = app
        .post_json(
            "/api/v1/openings",
            Some(token),
            &json!({
                "title": title, "description": "钢结构厂，包吃住，长期稳定",
                "required_occupations": codes, "work_region": "440113",
                "wage_min": 6000, "wage_max": 9000, "headcount": 5, "housing": true, "meals": true,
                "contract_months": 12, "start_date": "2027-01-15", "deadline": "2027-01-10",
                "status": "open"
            }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let change: i64 = crate::helpers::change_of(&resp);
    let body: Value = resp.json().await.unwrap();
    (body["id"].as_i64().unwrap(), change)
}

async fn candidates(app: &TestApp, token: &str, opening: i64, after: i64) -> Value {
    let resp = app
        .get_auth(
            &format!("/api/v1/openings/{opening}/candidates?after_change={after}"),
            token,
        )
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["worker_id"].as_i64().unwrap())
        .collect()
}

async fn certify(app: &TestApp, w: &World, worker_id: i64, cert: &str) -> i64 {
    let course: Value = app
        .post_json(
            "/api/v1/courses",
            Some(&w.center),
            &json!({
                "title": "焊工培训", "occupation_codes": ["6-18-02-04"], "hours": 100,
                "starts_on": "2026-09-01", "ends_on": "2026-10-30", "capacity": 50,
                "location_region": "630224", "certificate_level": 4
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let e: Value = app
        .post_json(
            &format!("/api/v1/courses/{}/enrollments", course["id"]),
            Some(&w.center),
            &json!({"worker_id": worker_id}),
        )
        .await
        .json()
        .await
        .unwrap();
    let resp = app
        .post_json(
            &format!("/api/v1/enrollments/{}/result", e["id"]),
            Some(&w.center),
            &json!({"passed": true, "score": 90, "certificate_number": cert}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    crate::helpers::change_of(&resp)
}

#[tokio::test]
async fn certified_welders_rank_first_and_filters_hold() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let declared = create_worker(&app, &w.officer, &welder("甲", "63212419900101011", 3.0)).await;
    let certified = create_worker(&app, &w.officer, &welder("乙", "63212419910101012", 3.0)).await;
    let mut elsewhere = welder("丙", "63212419920101013", 5.0);
    elsewhere["destinations"] = json!(["330000"]);
    let elsewhere = create_worker(&app, &w.officer, &elsewhere).await;
    let mut greedy = welder("丁", "63212419930101014", 5.0);
    greedy["min_wage"] = json!(12000);
    let greedy = create_worker(&app, &w.officer, &greedy).await;
    let cook = {
        let mut c = worker_body("戊", "63212419940101015");
        c["skills"] = json!([{"occupation_code": "4-03-02-02", "years_experience": 5}]);
        create_worker(&app, &w.officer, &c).await
    };
    let change = certify(&app, &w, certified["id"].as_i64().unwrap(), "HL-W-1").await;
    let (opening, _) = create_opening(&app, &w.employer, "招焊工", &["6-18-02-04"]).await;
    let list = candidates(&app, &w.employer, opening, change).await;
    let ranked = ids(&list);
    assert_eq!(
        ranked,
        vec![
            certified["id"].as_i64().unwrap(),
            declared["id"].as_i64().unwrap()
        ],
        "{list}"
    );
    for absent in [&elsewhere, &greedy, &cook] {
        assert!(!ranked.contains(&absent["id"].as_i64().unwrap()));
    }
    // The explanation is present and true.
    let top = &list["items"][0];
    let ex = &top["explanation"];
    assert_eq!(ex["occupations"][0]["opening_code"], "6-18-02-04");
    assert_eq!(ex["occupations"][0]["worker_occupation"], "焊工");
    assert_eq!(ex["occupations"][0]["relation"], "same_occupation");
    assert_eq!(ex["occupations"][0]["fit"], 1.0);
    assert_eq!(ex["occupations"][0]["certified"], true);
    assert_eq!(ex["region"]["accepted_as"], "440000");
    assert_eq!(ex["wage"]["worker_minimum"], 5000);
    assert!(ex["score"]["certified"].as_f64().unwrap() > 0.0);
    assert_eq!(list["passed_filters"], 2);
    // No PII anywhere in the list.
    let text = list.to_string();
    for worker in [&declared, &certified] {
        assert!(!text.contains(worker["phone"].as_str().unwrap()));
        assert!(!text.contains(worker["id_number"].as_str().unwrap()));
        assert!(
            !text.contains(worker["name"].as_str().unwrap())
                || worker["name"].as_str().unwrap().chars().count() == 1
        );
    }
}

#[tokio::test]
async fn an_opening_titled_dianhangong_finds_welders() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let welder = create_worker(&app, &w.officer, &welder("马", "63212419900101021", 2.0)).await;
    // The employer picked a general construction code; the title says 电焊工.
    let (opening, change) = create_opening(
        &app,
        &w.employer,
        "急招电焊工 月薪8000 包吃住",
        &["6-29-01-01"],
    )
    .await;
    let list = candidates(&app, &w.employer, opening, change).await;
    assert!(
        list["inferred_occupations"]
            .as_array()
            .unwrap()
            .contains(&json!("6-18-02-04")),
        "{list}"
    );
    assert!(
        ids(&list).contains(&welder["id"].as_i64().unwrap()),
        "{list}"
    );
}

#[tokio::test]
async fn equity_ranks_registered_poor_higher_among_equals() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let hh: Value = app
        .post_json(
            "/api/v1/households",
            Some(&w.officer),
            &json!({
                "registry_number": "HL-EQ-1", "county_code": "630224", "village": "德恒隆乡",
                "member_count": 4, "status": "registered_poor"
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let other = create_worker(&app, &w.officer, &welder("甲", "63212419900101031", 2.0)).await;
    let mut poor = welder("乙", "63212419900101042", 2.0);
    poor["household_id"] = hh["id"].clone();
    let poor = create_worker(&app, &w.officer, &poor).await;
    let (opening, change) = create_opening(&app, &w.employer, "焊工", &["6-18-02-04"]).await;
    let list = candidates(&app, &w.employer, opening, change).await;
    assert_eq!(
        ids(&list),
        vec![poor["id"].as_i64().unwrap(), other["id"].as_i64().unwrap()]
    );
    assert_eq!(
        list["items"][0]["explanation"]["equity"]["household_status"],
        "registered_poor"
    );
}

#[tokio::test]
async fn workers_see_their_matches_and_employers_only_their_candidates() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let token = app.worker_token().await;
    let mut body = welder("韩", "63212419950505051", 4.0);
    body["phone"] = Value::Null;
    let resp = app
        .client
        .put(app.url("/api/v1/me/worker"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (opening, change) = create_opening(&app, &w.employer, "钢结构焊工", &["6-18-02-04"]).await;
    let resp = app
        .get_auth(&format!("/api/v1/me/matches?after_change={change}"), &token)
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let matches: Value = resp.json().await.unwrap();
    assert_eq!(matches["items"][0]["opening_id"], opening, "{matches}");
    assert_eq!(
        matches["items"][0]["explanation"]["occupations"][0]["relation"],
        "same_occupation"
    );
    // Another employer cannot see this opening's candidates; a worker cannot either.
    let admin = app.admin_token().await;
    let (_, other) = app.org_token(&admin, "employer", "440113").await;
    let resp = app
        .get_auth(&format!("/api/v1/openings/{opening}/candidates"), &other)
        .await;
    assert_error(resp, 404, "not_found").await;
    let resp = app
        .get_auth(&format!("/api/v1/openings/{opening}/candidates"), &token)
        .await;
    assert_error(resp, 404, "not_found").await;
    let resp = app.get_auth("/api/v1/me/matches?limit=0", &token).await;
    assert_error(resp, 422, "validation_failed").await;
}

#[tokio::test]
async fn read_your_writes_after_a_graduation() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut body = worker_body("新", "63212420000101061");
    body["skills"] = json!([]);
    let worker = create_worker(&app, &w.officer, &body).await;
    let (opening, _) = create_opening(&app, &w.employer, "焊工", &["6-18-02-04"]).await;
    let change = certify(&app, &w, worker["id"].as_i64().unwrap(), "RYW-1").await;
    // The very next request, given the change number, sees the new graduate.
    let list = candidates(&app, &w.employer, opening, change).await;
    assert!(list["visible_change"].as_i64().unwrap() >= change);
    assert_eq!(ids(&list), vec![worker["id"].as_i64().unwrap()], "{list}");
    assert!(
        list["items"][0]["explanation"]["score"]["recent_training"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[tokio::test]
async fn free_text_search_with_facets_and_bad_syntax() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, c1) = create_opening(&app, &w.employer, "招聘电焊工 包吃住", &["6-18-02-04"]).await;
    let (o2, c2) = create_opening(
        &app,
        &w.employer,
        "拉面师傅 Lamian noodle chef",
        &["4-03-02-02"],
    )
    .await;
    // Wait for the index through a match request with the change number.
    let _ = candidates(&app, &w.employer, o2, c1.max(c2)).await;
    let token = app.worker_token().await;
    let res: Value = app
        .get_auth("/api/v1/openings/search?q=电焊", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["total"], 1, "{res}");
    assert_eq!(res["hits"][0]["title"], "招聘电焊工 包吃住");
    assert_eq!(res["provinces"][0]["value"], "440000");
    let res: Value = app
        .get_auth("/api/v1/openings/search?q=noodles", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["total"], 1, "English is stemmed: {res}");
    let res: Value = app
        .get_auth("/api/v1/openings/search?q=&occupation=6", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["total"], 1);
    assert_eq!(res["major_groups"][0]["value"], "6");
    let res: Value = app
        .get_auth("/api/v1/openings/search?q=&wage_min=10000", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["total"], 0);
    let resp = app
        .get_auth("/api/v1/openings/search?q=title:(unclosed", &token)
        .await;
    assert_error(resp, 400, "invalid_search_query").await;
    let resp = app
        .get_auth("/api/v1/openings/search?q=x&region=abc", &token)
        .await;
    assert_error(resp, 422, "validation_failed").await;
}

#[tokio::test]
async fn occupation_suggestions() {
    let app = spawn_app().await;
    let (status, body) = app
        .get_json("/api/v1/occupations/suggest?q=电焊工&limit=3")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["code"], "6-18-02-04");
    assert_eq!(body[0]["name"], "焊工");
    assert_eq!(body[0]["level"], 4);
    let confidence = body[0]["confidence"].as_f64().unwrap();
    assert!(confidence > 0.6 && confidence <= 1.0, "{body}");
    // Leaves only: every answer an occupation, whatever the text.
    for q in ["设计", "技术员", "维修", "电焊工"] {
        let (status, body) = app
            .get_json(&format!(
                "/api/v1/occupations/suggest?q={q}&leaves_only=true"
            ))
            .await;
        assert_eq!(status, 200);
        let levels: Vec<i64> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["level"].as_i64().unwrap())
            .collect();
        assert!(
            !levels.is_empty() && levels.iter().all(|l| *l == 4),
            "{q}: {body}"
        );
    }
    let resp = app.get("/api/v1/occupations/suggest?q=%20").await;
    assert_error(resp, 422, "validation_failed").await;
    let resp = app.get("/api/v1/occupations/suggest?q=x&limit=500").await;
    assert_error(resp, 422, "validation_failed").await;
}

#[tokio::test]
async fn reindex_while_serving_and_concurrent_writers() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let a = create_worker(&app, &w.officer, &welder("甲", "63212419900101071", 1.0)).await;
    let b = create_worker(&app, &w.officer, &welder("乙", "63212419900101082", 1.0)).await;
    let (opening, change) = create_opening(&app, &w.employer, "焊工", &["6-18-02-04"]).await;
    assert_eq!(
        candidates(&app, &w.employer, opening, change).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Two writers: the one that took the lower change number commits last.
    let db_slow = app.db().await;
    let db_fast = app.db().await;
    db_slow.batch_execute("BEGIN").await.unwrap();
    db_slow
        .execute(
            "UPDATE workers SET min_wage = 20000 WHERE id = $1",
            &[&a["id"].as_i64().unwrap()],
        )
        .await
        .unwrap();
    let slow_seq: i64 = db_slow
        .query_one(
            "INSERT INTO index_changes (entity, entity_id) VALUES ('worker', $1) RETURNING seq",
            &[&a["id"].as_i64().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    db_fast.batch_execute("BEGIN").await.unwrap();
    db_fast
        .execute(
            "UPDATE workers SET min_wage = 20000 WHERE id = $1",
            &[&b["id"].as_i64().unwrap()],
        )
        .await
        .unwrap();
    let fast_seq: i64 = db_fast
        .query_one(
            "INSERT INTO index_changes (entity, entity_id) VALUES ('worker', $1) RETURNING seq",
            &[&b["id"].as_i64().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    db_fast.batch_execute("COMMIT").await.unwrap();
    assert!(slow_seq < fast_seq);
    // B's change is applied, but the index does not claim to have passed A's.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let list = candidates(&app, &w.employer, opening, fast_seq - 1).await;
    assert!(
        list["visible_change"].as_i64().unwrap() < slow_seq,
        "{list}"
    );
    db_slow.batch_execute("COMMIT").await.unwrap();
    let list = candidates(&app, &w.employer, opening, fast_seq).await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "both updates applied: {list}"
    );

    // Reindex while a client keeps searching.
    let admin = app.admin_token().await;
    let searcher = {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/openings/{opening}/candidates"));
        let token = w.employer.clone();
        tokio::spawn(async move {
            let mut failures = 0;
            for _ in 0..30 {
                let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                if r.status().as_u16() != 200 {
                    failures += 1;
                }
            }
            failures
        })
    };
    let resp = app
        .post_json("/api/v1/admin/reindex", Some(&admin), &json!({}))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let report: Value = resp.json().await.unwrap();
    assert_eq!(report["workers"], 2);
    assert_eq!(report["openings"], 1);
    assert_eq!(
        searcher.await.unwrap(),
        0,
        "searches kept answering during the reindex"
    );
    let status: Value = app
        .get_auth("/api/v1/admin/index", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["generation"], report["generation"]);
    assert_eq!(status["documents"], 3);
}

#[tokio::test]
async fn the_index_resumes_after_a_restart_without_losing_changes() {
    let index_dir = tempfile::tempdir().unwrap();
    let dir = index_dir.path().join("index");
    let secret = Some("restart-test-secret-restart-test-secret".to_string());
    let mut app = spawn_app_with(|s| {
        s.index_dir = dir.clone();
        s.jwt_secret = secret.clone();
    })
    .await;
    let w = world(&app).await;
    let first = create_worker(&app, &w.officer, &welder("甲", "63212419900101091", 1.0)).await;
    let (opening, change) = create_opening(&app, &w.employer, "焊工", &["6-18-02-04"]).await;
    assert_eq!(
        ids(&candidates(&app, &w.employer, opening, change).await),
        vec![first["id"].as_i64().unwrap()]
    );
    let db_config = app.keep_database();
    // The service goes away; writes keep arriving in PostgreSQL meanwhile.
    let app2_db = app.db().await;
    drop(app);
    let second: i64 = app2_db
        .query_one(
            "INSERT INTO workers (name, gender, birth_year, home_region, destinations, min_wage)
             VALUES ('乙', 'male', 1992, '630224', '{440000}', 4000) RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    app2_db.execute("INSERT INTO worker_skills (worker_id, occupation_code, source) VALUES ($1, '6-18-02-04', 'self_declared')", &[&second]).await.unwrap();
    let seq: i64 = app2_db
        .query_one(
            "INSERT INTO index_changes (entity, entity_id) VALUES ('worker', $1) RETURNING seq",
            &[&second],
        )
        .await
        .unwrap()
        .get(0);
    // A new service on the same index resumes from the commit payload.
    let app = crate::helpers::spawn_app_on(db_config, |s| {
        s.index_dir = dir.clone();
        s.jwt_secret = secret.clone();
    })
    .await;
    let list = candidates(&app, &w.employer, opening, seq).await;
    let mut got = ids(&list);
    got.sort();
    assert_eq!(got, vec![first["id"].as_i64().unwrap(), second]);
}

#[tokio::test]
async fn a_cached_candidate_list_never_hides_a_change() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let first = create_worker(&app, &w.officer, &welder("甲", "63212419900101031", 3.0)).await;
    let (opening, change) = create_opening(&app, &w.employer, "招焊工", &["6-18-02-04"]).await;
    let before = candidates(&app, &w.employer, opening, change).await;
    assert_eq!(ids(&before), vec![first["id"].as_i64().unwrap()]);
    // Asked again with nothing changed: the same answer (from the cache).
    let again = candidates(&app, &w.employer, opening, change).await;
    assert_eq!(again["items"], before["items"]);
    // A new welder (a little more experienced), then a certificate for the first: each shows
    // at once once visible.
    let second = create_worker(&app, &w.officer, &welder("乙", "63212419910101032", 3.5)).await;
    let after_second = candidates(
        &app,
        &w.employer,
        opening,
        second["change"].as_i64().unwrap(),
    )
    .await;
    assert_eq!(
        ids(&after_second),
        vec![
            second["id"].as_i64().unwrap(),
            first["id"].as_i64().unwrap()
        ],
        "{after_second}"
    );
    let certified = certify(&app, &w, first["id"].as_i64().unwrap(), "HL-W-C1").await;
    let after_certificate = candidates(&app, &w.employer, opening, certified).await;
    assert_eq!(
        after_certificate["items"][0]["worker_id"], first["id"],
        "{after_certificate}"
    );
    assert_eq!(
        after_certificate["items"][0]["explanation"]["occupations"][0]["certified"],
        true
    );
    // The officer of another county asks about the same opening: their own scope, not the
    // employer's cached list.
    let admin = app.admin_token().await;
    let other_officer = app.officer_token(&admin, "630225").await;
    let scoped = candidates(&app, &other_officer, opening, certified).await;
    assert!(ids(&scoped).is_empty(), "{scoped}");
}

#[tokio::test]
async fn searches_wait_their_turn_and_beyond_the_limit_are_refused_with_503_and_retry_after() {
    use actix_web::ResponseError;
    use labormatch::error::ErrorCode;
    use labormatch::search::{SearchLimits, SearchService};

    let app = spawn_app().await;
    let index = tempfile::tempdir().unwrap();
    // One search running at a time and one more waiting, on the test's own database and a
    // private index.
    let search = SearchService::start(
        index.path().to_path_buf(),
        app.db_config.clone(),
        SearchLimits::new(2, 1),
        0,
        Default::default(),
    )
    .await
    .unwrap();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let search = std::sync::Arc::new(search);
    let finished = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let first = {
        let (search, finished) = (search.clone(), finished.clone());
        tokio::spawn(async move {
            search
                .run(move |_| {
                    let _ = started_tx.send(());
                    let _ = release_rx.recv();
                    finished.lock().unwrap().push("first");
                })
                .await
        })
    };
    started_rx.await.unwrap();
    let second = {
        let (search, finished) = (search.clone(), finished.clone());
        tokio::spawn(async move {
            search
                .run(move |_| finished.lock().unwrap().push("second"))
                .await
        })
    };
    // The second is admitted and waits for the running one's turn to end.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(finished.lock().unwrap().is_empty());
    assert!(!second.is_finished());
    let refused = search.run(|_| ()).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::Overloaded);
    assert_eq!(refused.status_code().as_u16(), 503);
    let response = refused.error_response();
    assert_eq!(response.headers().get("retry-after").unwrap(), "1");
    release_tx.send(()).unwrap();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(*finished.lock().unwrap(), ["first", "second"]);
    // Both permits are back: the next search runs.
    search.run(|_| ()).await.unwrap();
}
