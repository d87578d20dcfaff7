//! The ranking's inputs over HTTP: the opening's requirement fields, the title's trade and
//! pinning, and explanations that hold every input the score used (the score is recomputed
//! here from the explanation alone, by the rule README states).

use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};
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

fn opening_body(title: &str, description: &str, codes: &[&str]) -> Value {
    json!({
        "title": title, "description": description,
        "required_occupations": codes, "work_region": "440113",
        "wage_min": 6000, "wage_max": 9000, "headcount": 5, "housing": true, "meals": true,
        "contract_months": 12, "start_date": "2027-01-15", "deadline": "2027-01-10",
        "status": "open"
    })
}

/// Creates an opening; answers its id and change number.
async fn post_opening(app: &TestApp, token: &str, body: &Value) -> (Value, i64) {
    let resp = app.post_json("/api/v1/openings", Some(token), body).await;
    assert_eq!(resp.status().as_u16(), 201);
    let change = crate::helpers::change_of(&resp);
    (resp.json().await.unwrap(), change)
}

/// A worker with one skill; answers (id, change).
async fn worker(
    app: &TestApp,
    w: &World,
    id17: &str,
    skill: (&str, f32, &str),
    household: Option<i64>,
) -> (i64, i64) {
    let mut body = worker_body("马", id17);
    body["skills"] =
        json!([{"occupation_code": skill.0, "years_experience": skill.1, "note": skill.2}]);
    body["brand_tags"] = json!([]);
    body["household_id"] = json!(household);
    let resp = app
        .post_json("/api/v1/workers", Some(&w.officer), &body)
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let created: Value = resp.json().await.unwrap();
    (
        created["id"].as_i64().unwrap(),
        created["change"].as_i64().unwrap(),
    )
}

/// Certifies the worker in `code` today; answers the change number.
async fn certify(app: &TestApp, w: &World, worker_id: i64, code: &str) -> i64 {
    let course: Value = app
        .post_json(
            "/api/v1/courses",
            Some(&w.center),
            &json!({
                "title": "职业技能培训", "occupation_codes": [code], "hours": 100,
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
            &json!({"passed": true, "score": 90, "certificate_number": format!("R-{worker_id}")}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    crate::helpers::change_of(&resp)
}

async fn candidates(app: &TestApp, token: &str, opening: i64, after: i64) -> Value {
    let resp = app
        .get_auth(
            &format!("/api/v1/openings/{opening}/candidates?after_change={after}&limit=50"),
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

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

/// The score, recomputed from the explanation alone with the default weights, by README's rule.
fn recompute(ex: &Value) -> [(&'static str, f64); 10] {
    let m = &ex["occupations"][0];
    let role_weight = if m["role"] == "nice_to_have" {
        0.5
    } else {
        1.0
    };
    let fit = num(&m["fit"]) * role_weight;
    assert!((num(&m["weighted_fit"]) - fit).abs() < 1e-6, "{m}");
    let years = num(&m["years_experience"]);
    let certified = m["certified"].as_bool().unwrap();
    let rule = match ex["requirements"]["certificate"].as_str().unwrap() {
        "required" => 3.0,
        "preferred" => 1.0,
        _ => 0.5,
    };
    let steps = [0.5, 2.0, 4.0, 7.0, 12.0];
    let step = steps.iter().filter(|s| years >= **s).count();
    let start = if step == 0 { 0.0 } else { steps[step - 1] };
    let end = if step < 5 { steps[step] } else { 24.0 };
    let within = ((years - start) / (end - start)).clamp(0.0, 1.0);
    let min_years = num(&ex["requirements"]["min_years"]);
    let occupation = (10.0 * fit).round();
    let certificate = if certified {
        (2.0 * rule * fit).round()
    } else {
        0.0
    };
    let experience = (step as f64 * fit).round();
    let words = ex["title_words"].as_array().unwrap().len().min(2) as f64;
    let shortfall = if years < min_years {
        (min_years - years).ceil().min(3.0)
    } else {
        0.0
    };
    let band = occupation + certificate + experience + words - shortfall;
    let recent = match ex["certificate_age_days"].as_i64() {
        Some(days) if certified && (0..365).contains(&days) => 0.2 * (1.0 - days as f64 / 365.0),
        _ => 0.0,
    };
    let equity = 0.4 * num(&ex["equity"]["factor"]);
    let within = 0.2 * within;
    [
        ("occupation", occupation),
        ("certified", certificate),
        ("experience", experience),
        ("title_words", words),
        ("shortfall", shortfall),
        ("band", band),
        ("recent_training", recent),
        ("equity", equity),
        ("experience_within_step", within),
        ("total", band + recent + equity + within),
    ]
}

#[tokio::test]
async fn every_score_is_recomputed_from_its_explanation() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let household: Value = app
        .post_json(
            "/api/v1/households",
            Some(&w.officer),
            &json!({
                "registry_number": "HL-RK-1", "county_code": "630224", "village": "德恒隆乡",
                "member_count": 4, "status": "registered_poor"
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let poor = household["id"].as_i64();
    let (fresh, _) = worker(
        &app,
        &w,
        "63212419900101101",
        ("6-18-02-04", 1.0, "电焊"),
        None,
    )
    .await;
    let (veteran, _) = worker(
        &app,
        &w,
        "63212419800101111",
        ("6-18-02-04", 12.0, "氩弧焊 船厂 不锈钢"),
        None,
    )
    .await;
    let (riveter, _) = worker(
        &app,
        &w,
        "63212419850101121",
        ("6-18-01-11", 8.0, "铆焊 钢结构"),
        None,
    )
    .await;
    let (from_poor_home, _) = worker(
        &app,
        &w,
        "63212419920101131",
        ("6-18-02-04", 4.0, "二保焊"),
        poor,
    )
    .await;
    let (short, _) = worker(
        &app,
        &w,
        "63212419960101141",
        ("6-18-02-04", 2.0, "氩弧焊"),
        None,
    )
    .await;
    let (cutter, last) = worker(
        &app,
        &w,
        "63212419900101151",
        ("6-18-02-05", 9.0, "火焰切割"),
        None,
    )
    .await;
    let certified = certify(&app, &w, fresh, "6-18-02-04").await;
    let (opening, change) = post_opening(
        &app,
        &w.employer,
        &opening_body(
            "船厂急招氩弧焊工 持证上岗",
            "不锈钢管道焊接，三年以上经验",
            &["6-18-02-04"],
        ),
    )
    .await;
    let list = candidates(
        &app,
        &w.employer,
        opening["id"].as_i64().unwrap(),
        change.max(certified).max(last),
    )
    .await;
    // What the opening asks, and where each requirement was read.
    assert_eq!(list["requirements"]["certificate"], "required", "{list}");
    assert_eq!(list["requirements"]["certificate_from"], "title");
    assert_eq!(list["requirements"]["min_years"], 3.0);
    assert_eq!(list["requirements"]["min_years_from"], "description");
    // The cutter shares the welders' unit group but is not a stand-in: not a candidate.
    let ranked = ids(&list);
    assert!(!ranked.contains(&cutter), "{list}");
    assert_eq!(list["passed_filters"], 5);
    // The 12-year argon-arc welder from a shipyard (both title words in his notes) first; the
    // one-year welder certified today next (a required certificate is worth three ordinary
    // ones, less his shortfall against three years); the riveter, a stand-in, last.
    assert_eq!(
        ranked,
        vec![veteran, fresh, from_poor_home, short, riveter],
        "{list}"
    );
    let mut previous = f64::INFINITY;
    for item in list["items"].as_array().unwrap() {
        let ex = &item["explanation"];
        for (part, value) in recompute(ex) {
            assert!(
                (num(&ex["score"][part]) - value).abs() < 1e-3,
                "{part}: {} recomputed as {value} in {ex}",
                ex["score"][part]
            );
        }
        assert!((num(&item["score"]) - num(&ex["score"]["total"])).abs() < 1e-6);
        assert!(num(&item["score"]) <= previous, "ordered by score");
        previous = num(&item["score"]);
    }
    let by_id = |id: i64| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["worker_id"] == id)
            .unwrap()["explanation"]
            .clone()
    };
    assert_eq!(by_id(veteran)["title_words"], json!(["船厂", "氩弧焊"]));
    assert_eq!(by_id(riveter)["occupations"][0]["relation"], "stand_in");
    assert!(by_id(riveter)["occupations"][0]["reason"].is_string());
    assert_eq!(by_id(short)["score"]["shortfall"], 1.0);
    assert_eq!(by_id(fresh)["occupations"][0]["years_experience"], 1.0);
    assert_eq!(
        by_id(from_poor_home)["equity"]["household_status"],
        "registered_poor"
    );
}

#[tokio::test]
async fn the_titles_trade_narrows_a_generic_code_unless_pinned() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (lamian, _) = worker(
        &app,
        &w,
        "63212419900101201",
        ("4-03-02-02", 5.0, "兰州拉面 拉面师傅"),
        None,
    )
    .await;
    let (cook, _) = worker(
        &app,
        &w,
        "63212419900101211",
        ("4-03-02-01", 5.0, "炒锅"),
        None,
    )
    .await;
    let (waiter, last) = worker(
        &app,
        &w,
        "63212419900101221",
        ("4-03-02-05", 5.0, "传菜"),
        None,
    )
    .await;
    // Coded as a generic cook; the title asks for a lamian master.
    let mut body = opening_body("化隆牛肉拉面馆招拉面师傅", "包吃住", &["4-03-02-01"]);
    let (opening, change) = post_opening(&app, &w.employer, &body).await;
    assert_eq!(opening["pin_occupations"], false);
    let id = opening["id"].as_i64().unwrap();
    let list = candidates(&app, &w.employer, id, change.max(last)).await;
    assert_eq!(list["title_trade"]["code"], "4-03-02-02", "{list}");
    assert_eq!(list["title_trade"]["used_as"], "required");
    assert_eq!(list["title_trade"]["narrows"], json!(["4-03-02-01"]));
    assert_eq!(list["inferred_occupations"], json!(["4-03-02-02"]));
    assert_eq!(ids(&list), vec![lamian, cook], "{list}");
    let top = &list["items"][0]["explanation"]["occupations"][0];
    assert_eq!(top["role"], "title_trade");
    assert_eq!(top["relation"], "same_occupation");
    // Pinned: the chosen code alone; the lamian master is now a stand-in for a cook.
    body["pin_occupations"] = json!(true);
    let resp = app
        .client
        .put(app.url(&format!("/api/v1/openings/{id}")))
        .bearer_auth(&w.employer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let change: i64 = crate::helpers::change_of(&resp);
    let pinned: Value = resp.json().await.unwrap();
    assert_eq!(pinned["pin_occupations"], true);
    let list = candidates(&app, &w.employer, id, change).await;
    assert!(list["title_trade"].is_null(), "{list}");
    assert_eq!(list["inferred_occupations"], json!([]));
    assert_eq!(ids(&list), vec![cook, lamian], "{list}");
    assert!(!ids(&list).contains(&waiter));
    assert_eq!(
        list["items"][1]["explanation"]["occupations"][0]["relation"],
        "stand_in"
    );
}

#[tokio::test]
async fn requirement_fields_default_validate_and_win_over_the_words() {
    let app = spawn_app().await;
    let w = world(&app).await;
    // Old clients send none of the new fields.
    let (plain, _) = post_opening(
        &app,
        &w.employer,
        &opening_body("招电焊工", "", &["6-18-02-04"]),
    )
    .await;
    assert!(plain["min_years_experience"].is_null());
    assert!(plain["certificate"].is_null());
    assert_eq!(plain["pin_occupations"], false);
    // Stated by the employer: kept, and preferred over what the title says.
    let mut body = opening_body("招电焊工 持证上岗 熟手", "", &["6-18-02-04"]);
    body["certificate"] = json!("none");
    body["min_years_experience"] = json!(0.5);
    let (stated, change) = post_opening(&app, &w.employer, &body).await;
    assert_eq!(stated["certificate"], "none");
    assert_eq!(stated["min_years_experience"], 0.5);
    let list = candidates(&app, &w.employer, stated["id"].as_i64().unwrap(), change).await;
    assert_eq!(
        list["requirements"],
        json!({"certificate": "none", "certificate_from": "employer",
               "min_years": 0.5, "min_years_from": "employer"})
    );
    // Out of range or unknown: 422 with the field and a stable reason.
    for (field, value, reason) in [
        ("min_years_experience", json!(51), "out_of_range_0_50"),
        ("min_years_experience", json!(-1), "out_of_range_0_50"),
        ("certificate", json!("maybe"), "unknown_certificate_rule"),
    ] {
        let mut bad = opening_body("招电焊工", "", &["6-18-02-04"]);
        bad[field] = value;
        let resp = app
            .post_json("/api/v1/openings", Some(&w.employer), &bad)
            .await;
        let body = assert_error(resp, 422, "validation_failed").await;
        assert_eq!(body["details"][0]["field"], field, "{body}");
        assert_eq!(body["details"][0]["reason"], reason, "{body}");
    }
    let mut bad = opening_body("招电焊工", "", &["6-18-02-04"]);
    bad["pin_occupations"] = json!("yes");
    let resp = app
        .post_json("/api/v1/openings", Some(&w.employer), &bad)
        .await;
    assert_error(resp, 422, "validation_failed").await;
}
