//! The employer's pages over plain HTTP: the invitation, the opening form (the suggested
//! occupation, bad input beside the field), candidates with masked names and reasons, inviting
//! once, the pipeline with the employer's moves only, the placement and the follow-ups due
//! (answered by the employer and by the worker); and the page weights of the new pages.

use chrono::{Duration, Local};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};
use crate::pages::PageClient;
use crate::pages_work::{form_of, hidden, post_opening, save_profile, token, welder_profile};

/// An employer organization made by the program office, and its invitation code.
async fn employer_invitation(app: &TestApp, admin: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed) + std::process::id() as u64 * 1000 + 500;
    let credit =
        labormatch::domain::complete_credit_code(&format!("91440101MB{:07}", n % 10_000_000))
            .unwrap();
    let resp = app
        .post_json(
            "/api/v1/organizations",
            Some(admin),
            &json!({"kind": "employer", "name": format!("番禺钢构{n}"), "region_code": "440113",
                    "credit_code": credit}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    body["invitation"]["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_employer_posts_an_opening_invites_and_records_a_placement_through_the_pages() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let code = employer_invitation(&app, &admin).await;
    let mut emp = PageClient::new(&app);
    let page = emp.get(&format!("/invitation?code={code}")).await;
    assert!(
        page.body.contains(&format!("value=\"{code}\"")),
        "the link fills the code"
    );
    let phone = unique_phone();
    let bad = emp
        .post(
            "/invitation",
            &[
                ("csrf", &page.csrf()),
                ("code", "not-a-code"),
                ("phone", &phone),
                ("password", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(bad.status, 404);
    assert!(bad.body.contains("id=\"code-error\"") && bad.body.contains("邀请码不对"));
    let ok = emp
        .post(
            "/invitation",
            &[
                ("csrf", &page.csrf()),
                ("code", &code),
                ("phone", &phone),
                ("password", TEST_PASSWORD),
                ("display_name", "刘经理"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let list = emp.get("/employer/openings").await;
    assert!(list.body.contains("还没有发布岗位"), "{}", list.body);
    assert!(
        list.body.contains("href=\"/employer/followups\""),
        "the menu"
    );

    // A worker who will fit.
    let mut worker = PageClient::new(&app);
    worker.sign_up().await;
    save_profile(&app, &token(&worker), &welder_profile()).await;

    // The form suggests the occupation from the title, preselected, and keeps what was typed.
    let form = emp.get("/employer/openings/new").await;
    let csrf = form.csrf();
    let today = Local::now().date_naive();
    let start = (today + Duration::days(10)).to_string();
    let deadline = (today + Duration::days(5)).to_string();
    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("title", "招电焊工 持证上岗".into()),
        ("occ_q", String::new()),
        ("description", "番禺钢结构厂".into()),
        ("work_p", "440000".into()),
        ("work_c", "440100".into()),
        ("work_x", String::new()),
        ("wage_min", "6000".into()),
        ("wage_max", "abc".into()),
        ("headcount", "3".into()),
        ("housing", "1".into()),
        ("start_date", start.clone()),
        ("deadline", deadline.clone()),
        ("certificate", String::new()),
        ("status", "open".into()),
        ("version", String::new()),
    ];
    let as_refs = |f: &[(&'static str, String)]| -> Vec<(&'static str, String)> { f.to_vec() };
    let send = |f: &Vec<(&'static str, String)>| {
        f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    let mut suggest = as_refs(&fields);
    suggest.push(("intent", "suggest".into()));
    let pairs = send(&suggest);
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let shown = emp.post("/employer/openings/new", &refs).await;
    assert_eq!(shown.status, 200);
    assert!(
        shown
            .body
            .contains("<option value=\"6-18-02-04\" selected>焊工</option>"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("value=\"招电焊工 持证上岗\""));
    // Bad input answered beside the fields; nothing saved.
    fields.push(("occupation", "6-18-02-04".into()));
    let pairs = send(&fields);
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = emp.post("/employer/openings/new", &refs).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"wage_max-error\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("请填数字"));
    let list = emp.get("/employer/openings").await;
    assert!(list.body.contains("还没有发布岗位"));
    // The fix: saved, then the candidates.
    for (k, v) in fields.iter_mut() {
        if *k == "wage_max" {
            *v = "8000".into();
        }
    }
    let pairs = send(&fields);
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = emp.post("/employer/openings/new", &refs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let to = saved.location().to_string();
    assert!(to.contains("/candidates?saved=1&after_change="), "{to}");
    let opening: i64 = to
        .trim_start_matches("/employer/openings/")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let candidates = emp.get(&to).await;
    assert!(candidates.body.contains("马**"), "{}", candidates.body);
    assert!(
        candidates
            .body
            .contains("焊工 · 3 年 · 无证（要求持证） · 接受广州市"),
        "{}",
        candidates.body
    );
    assert!(!candidates.body.contains("马建国"), "names are masked");
    let worker_id = hidden(
        form_of(&candidates, &format!("/employer/openings/{opening}/invite")),
        "worker_id",
    );
    let action = format!("/employer/openings/{opening}/invite");
    let invited = emp
        .post(
            &action,
            &[("csrf", &candidates.csrf()), ("worker_id", &worker_id)],
        )
        .await;
    assert_eq!(
        invited.location(),
        format!("/employer/openings/{opening}/candidates?invited={worker_id}")
    );
    let twice = emp
        .post(
            &action,
            &[("csrf", &candidates.csrf()), ("worker_id", &worker_id)],
        )
        .await;
    assert!(
        twice.location().ends_with("refused=already_exists"),
        "{}",
        twice.location()
    );
    let shown = emp.get(twice.location()).await;
    assert!(shown.body.contains("已在申请进度中"));
    // Applying is a worker's act: the employer's page session is refused.
    let apply = emp
        .post(
            &format!("/openings/{opening}/apply"),
            &[("csrf", &candidates.csrf()), ("key", "k-1")],
        )
        .await;
    assert_eq!(apply.status, 404);
    let again = emp
        .get(&format!("/employer/openings/{opening}/candidates"))
        .await;
    assert!(again.body.contains("已在申请进度中"));

    // The worker accepts the invitation; the employer moves it along the pipeline.
    let mine: Value = app
        .get_auth("/api/v1/me/applications", &token(&worker))
        .await
        .json()
        .await
        .unwrap();
    let id = mine["items"][0]["id"].as_i64().unwrap();
    let move_as = |to: &str| format!("{{\"to\": \"{to}\"}}");
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/transitions")))
        .bearer_auth(token(&worker))
        .header("content-type", "application/json")
        .body(move_as("applied"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let pipeline_path = format!("/employer/openings/{opening}/applications");
    for (label, to) in [
        ("列入候选", "shortlisted"),
        ("安排面试", "interviewing"),
        ("录用", "offered"),
    ] {
        let pipeline = emp.get(&pipeline_path).await;
        assert!(pipeline.body.contains(label), "{label}: {}", pipeline.body);
        assert!(
            !pipeline.body.contains("接受录用"),
            "the worker's move is not the employer's"
        );
        let moved = emp
            .post(
                &format!("/applications/{id}/move"),
                &[
                    ("csrf", &pipeline.csrf()),
                    ("to", to),
                    ("back", &pipeline_path),
                ],
            )
            .await;
        assert_eq!(moved.location(), format!("{pipeline_path}?moved={id}"));
    }
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/transitions")))
        .bearer_auth(token(&worker))
        .header("content-type", "application/json")
        .body(move_as("accepted"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let pipeline = emp.get(&pipeline_path).await;
    assert!(pipeline.body.contains("登记上岗"), "{}", pipeline.body);
    assert!(
        pipeline.body.contains("href=\"tel:"),
        "the phone, now the worker accepted"
    );
    let form = emp.get(&format!("/applications/{id}/placement")).await;
    let started = (today - Duration::days(100)).to_string();
    let bad = emp
        .post(
            &format!("/applications/{id}/placement"),
            &[
                ("csrf", &form.csrf()),
                ("start_date", &started),
                ("agreed_wage", "七千"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"agreed_wage-error\"") && bad.body.contains("请填数字"));
    let placed = emp
        .post(
            &format!("/applications/{id}/placement"),
            &[
                ("csrf", &form.csrf()),
                ("start_date", &started),
                ("agreed_wage", "7000"),
            ],
        )
        .await;
    assert_eq!(placed.location(), format!("{pipeline_path}?placed={id}"));
    let pipeline = emp.get(placed.location()).await;
    assert!(pipeline.body.contains("已登记上岗") && pipeline.body.contains("已上岗"));
    assert!(
        !pipeline.body.contains("href=\"/applications/"),
        "placed once"
    );

    // Follow-ups due: months 1 and 3. The employer answers one (a bad answer first, refused
    // beside the field), the worker the other.
    let due = emp.get("/employer/followups").await;
    assert!(due.body.contains("马**"), "{}", due.body);
    let start = due.body.find("href=\"/followups/").unwrap() + "href=\"".len();
    let end = due.body[start..].find('"').unwrap() + start;
    let link = due.body[start..end].replace("&#38;", "&");
    let answer = emp.get(&link).await;
    assert_eq!(answer.status, 200, "{link}");
    let path = link.split('?').next().unwrap().to_string();
    let refused = emp
        .post(
            &path,
            &[
                ("csrf", &answer.csrf()),
                ("monthly_wage", "7000"),
                ("back", "/employer/followups"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("请选择现在的工作"),
        "{}",
        refused.body
    );
    // A control character in the reference is named beside its field, and nothing is saved.
    let refused = emp
        .post(
            &path,
            &[
                ("csrf", &answer.csrf()),
                ("employment", "same_employer"),
                ("monthly_wage", "7000"),
                ("evidence_ref", "WS-\u{1}7"),
                ("back", "/employer/followups"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains(r#"id="evidence_ref-error""#),
        "{}",
        refused.body
    );
    let done = emp
        .post(
            &path,
            &[
                ("csrf", &answer.csrf()),
                ("employment", "same_employer"),
                ("monthly_wage", "7000"),
                ("back", "/employer/followups"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/employer/followups?saved=1");
    let due = emp.get(done.location()).await;
    assert!(due.body.contains("回访已记录"), "{}", due.body);
    assert_eq!(
        due.body.matches("href=\"/followups/").count(),
        1,
        "{}",
        due.body
    );
    // The worker sees one answered and answers the other, in English this time.
    worker.lang = "en";
    let theirs = worker.get("/me/followups").await;
    assert!(theirs.body.contains("Answered"), "{}", theirs.body);
    let start = theirs.body.find("href=\"/followups/").unwrap() + "href=\"".len();
    let end = theirs.body[start..].find('"').unwrap() + start;
    let link = theirs.body[start..end].to_string();
    let path = link.split('?').next().unwrap().to_string();
    let form = worker.get(&link).await;
    let refused = worker
        .post(
            &path,
            &[
                ("csrf", &form.csrf()),
                ("employment", "other_employer"),
                ("monthly_wage", "lots"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("id=\"monthly_wage-error\"")
            && refused.body.contains("Enter a number"),
        "{}",
        refused.body
    );
    let done = worker
        .post(
            &path,
            &[
                ("csrf", &form.csrf()),
                ("employment", "other_employer"),
                ("monthly_wage", "7600"),
            ],
        )
        .await;
    assert_eq!(done.location(), "/me/followups?saved=1");
    let theirs = worker.get(done.location()).await;
    assert!(
        theirs.body.contains("Follow-up recorded"),
        "{}",
        theirs.body
    );
    assert!(!theirs.body.contains("href=\"/followups/"), "both answered");
    let due = emp.get("/employer/followups").await;
    assert!(!due.body.contains("马**"), "{}", due.body);

    // Another employer sees none of it.
    let other_code = employer_invitation(&app, &admin).await;
    let mut other = PageClient::new(&app);
    let page = other.get("/invitation").await;
    other
        .post(
            "/invitation",
            &[
                ("csrf", &page.csrf()),
                ("code", &other_code),
                ("phone", &unique_phone()),
                ("password", TEST_PASSWORD),
            ],
        )
        .await;
    for path in [
        format!("/employer/openings/{opening}/candidates"),
        pipeline_path.clone(),
        format!("/employer/openings/{opening}/edit"),
    ] {
        assert_eq!(other.get(&path).await.status, 404, "{path}");
    }
    // And a worker does not reach the employer's pages.
    assert_eq!(worker.get(&pipeline_path).await.status, 404);
}

#[tokio::test]
async fn the_new_pages_stay_within_their_weight_budgets() {
    const PAGE_BUDGET: usize = 75 * 1024;
    const FIRST_HTML_BUDGET: usize = 14 * 1024;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440100").await;
    let mut openings = Vec::new();
    for title in [
        "招电焊工 包吃住",
        "招焊工 长期",
        "钢结构焊工",
        "电焊学徒",
        "氩弧焊工",
    ] {
        openings.push(post_opening(&app, &employer, title).await);
    }
    let mut worker = PageClient::new(&app);
    worker.sign_up().await;
    let saved = save_profile(&app, &token(&worker), &welder_profile()).await;
    let after = openings.iter().map(|o| o.1).max().unwrap().max(saved);
    let matches = format!("/me/matches?after_change={after}");
    let page = worker.get(&matches).await;
    assert_eq!(
        page.body.matches("class=\"card match\"").count(),
        5,
        "{}",
        page.body
    );
    let mut report = Vec::new();
    for path in [
        matches.clone(),
        format!("/openings/{}", openings[0].0),
        "/me/applications".into(),
        "/me/claim".into(),
        "/me/followups".into(),
    ] {
        report.push((
            path.clone(),
            crate::pages::transferred(&app, &worker, &path).await,
        ));
    }
    let code = employer_invitation(&app, &admin).await;
    let mut emp = PageClient::new(&app);
    let anonymous = PageClient::new(&app);
    let path = format!("/invitation?code={code}");
    report.push((
        path.clone(),
        crate::pages::transferred(&app, &anonymous, &path).await,
    ));
    let page = emp.get("/invitation").await;
    emp.post(
        "/invitation",
        &[
            ("csrf", &page.csrf()),
            ("code", &code),
            ("phone", &unique_phone()),
            ("password", TEST_PASSWORD),
        ],
    )
    .await;
    let own = post_opening(&app, &token(&emp), "招电焊工 持证上岗").await;
    for path in [
        "/employer/openings".to_string(),
        "/employer/openings/new".into(),
        format!("/employer/openings/{}/edit", own.0),
        format!(
            "/employer/openings/{}/candidates?after_change={}",
            own.0,
            own.1.max(saved)
        ),
        format!("/employer/openings/{}/applications", own.0),
        "/employer/followups".into(),
    ] {
        report.push((
            path.clone(),
            crate::pages::transferred(&app, &emp, &path).await,
        ));
    }
    for (path, (html, total)) in &report {
        println!("page weight {path}: first HTML {html} B, total {total} B");
        assert!(*total <= PAGE_BUDGET, "{path}: {total} B > {PAGE_BUDGET} B");
    }
    let first = &report[0].1;
    assert!(first.0 <= FIRST_HTML_BUDGET, "matches HTML {} B", first.0);
}

/// An employer signed in through the invitation page.
async fn employer_pages<'a>(app: &'a TestApp, admin: &str) -> PageClient<'a> {
    let code = employer_invitation(app, admin).await;
    let mut emp = PageClient::new(app);
    let page = emp.get("/invitation").await;
    let answer = emp
        .post(
            "/invitation",
            &[
                ("csrf", &page.csrf()),
                ("code", &code),
                ("phone", &unique_phone()),
                ("password", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    emp
}

#[tokio::test]
async fn an_opening_is_edited_and_a_stale_form_gets_the_latest_version() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut emp = employer_pages(&app, &admin).await;
    let (id, _) = post_opening(&app, &token(&emp), "招电焊工 包吃住").await;
    let edit = format!("/employer/openings/{id}/edit");
    let form = emp.get(&edit).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"招电焊工 包吃住\""));
    assert!(
        form.body
            .contains("<option value=\"6-18-02-04\" selected>焊工</option>"),
        "the chosen occupation stays chosen: {}",
        form.body
    );
    let version = form.input_value("version").unwrap();
    let today = Local::now().date_naive();
    let fields = |title: &str, status: &str, version: &str| -> Vec<(String, String)> {
        [
            ("csrf", form.csrf()),
            ("title", title.to_string()),
            ("occupation", "6-18-02-04".into()),
            ("work_p", "440000".into()),
            ("work_c", "440100".into()),
            ("work_x", "440106".into()),
            ("wage_min", "6500".into()),
            ("wage_max", "8500".into()),
            ("headcount", "5".into()),
            ("start_date", (today + Duration::days(10)).to_string()),
            ("deadline", (today + Duration::days(8)).to_string()),
            ("status", status.to_string()),
            ("version", version.to_string()),
            ("intent", "save".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    };
    async fn send(
        pc: &mut PageClient<'_>,
        path: &str,
        f: Vec<(String, String)>,
    ) -> crate::pages::PageAnswer {
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pc.post(path, &refs).await
    }
    let saved = send(&mut emp, &edit, fields("招电焊工 月结", "open", &version)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let o: Value = app
        .get_auth(&format!("/api/v1/openings/{id}"), &token(&emp))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(o["title"], "招电焊工 月结");
    assert_eq!(o["wage_min"], 6500);
    // The same old form again (another tab): the latest version is shown, and why.
    let stale = send(&mut emp, &edit, fields("招电焊工 旧的", "open", &version)).await;
    assert_eq!(stale.status, 422);
    assert!(stale.body.contains("刚被别人修改过"), "{}", stale.body);
    assert!(
        stale.body.contains("value=\"招电焊工 月结\""),
        "{}",
        stale.body
    );
    // A status move the rules refuse is answered beside the status.
    let fresh = emp.get(&edit).await;
    let version = fresh.input_value("version").unwrap();
    let back = send(&mut emp, &edit, fields("招电焊工 月结", "draft", &version)).await;
    assert_eq!(back.status, 422);
    assert!(back.body.contains("id=\"status-error\""), "{}", back.body);
    let closed = send(&mut emp, &edit, fields("招电焊工 月结", "closed", &version)).await;
    assert_eq!(closed.status, 303, "{}", closed.body);
    let candidates = emp
        .get(&format!("/employer/openings/{id}/candidates"))
        .await;
    assert!(
        candidates.body.contains("岗位没有在招聘"),
        "{}",
        candidates.body
    );
    let list = emp.get("/employer/openings").await;
    assert!(list.body.contains("已停止招聘"), "{}", list.body);
}
