//! The job seekers' pages over plain HTTP: claiming a profile, matches with their reasons,
//! applying once however often the form is sent, the allowed moves only, bad input beside the
//! field. The employer's pages: `pages_employer`.

use chrono::{Duration, Local};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};
use crate::pages::{PageAnswer, PageClient};

/// The access token of a page session (the same tokens as the API's).
pub(crate) fn token(pc: &PageClient<'_>) -> String {
    pc.cookies.get("lm_at").cloned().expect("signed in")
}

pub(crate) async fn sign_up_with(pc: &mut PageClient<'_>, phone: &str) {
    let page = pc.get("/signup").await;
    let answer = pc
        .post(
            "/signup",
            &[
                ("csrf", &page.csrf()),
                ("phone", phone),
                ("password", TEST_PASSWORD),
                ("display_name", "马师傅"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}

/// A welder of 化隆 (3 years, not certified) who goes to Guangzhou for at least 5000.
pub(crate) fn welder_profile() -> Value {
    json!({
        "name": "马建国", "gender": "male", "birth_year": 1990, "education": "junior_high",
        "home_region": "630224", "destinations": ["440100"], "min_wage": 5000,
        "skills": [{"occupation_code": "6-18-02-04", "years_experience": 3}]
    })
}

/// Puts the profile through the API; answers the change number that makes it searchable.
pub(crate) async fn save_profile(app: &TestApp, token: &str, body: &Value) -> i64 {
    let resp = app
        .client
        .put(app.url("/api/v1/me/worker"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{:?}", resp.status());
    let body: Value = resp.json().await.unwrap();
    body["change"].as_i64().unwrap()
}

/// An open opening for welders in Guangzhou: (id, change number).
pub(crate) async fn post_opening(app: &TestApp, employer: &str, title: &str) -> (i64, i64) {
    let today = Local::now().date_naive();
    let resp = app
        .post_json(
            "/api/v1/openings",
            Some(employer),
            &json!({
                "title": title, "description": "车间焊接",
                "required_occupations": ["6-18-02-04"], "work_region": "440106",
                "wage_min": 6000, "wage_max": 8000, "headcount": 5,
                "housing": true, "meals": true,
                "start_date": (today + Duration::days(10)).to_string(),
                "deadline": (today + Duration::days(30)).to_string(),
                "status": "open"
            }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let change: i64 = crate::helpers::change_of(&resp);
    let body: Value = resp.json().await.unwrap();
    (body["id"].as_i64().unwrap(), change)
}

pub(crate) fn form_of<'a>(page: &'a PageAnswer, action: &str) -> &'a str {
    let start = page
        .body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form to {action} in {}", page.body));
    let end = page.body[start..].find("</form>").unwrap() + start;
    &page.body[start..end]
}

pub(crate) fn hidden(form: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = form.find(&needle).expect(name) + needle.len();
    let end = form[start..].find('"').unwrap() + start;
    form[start..end].to_string()
}

#[tokio::test]
async fn a_worker_claims_the_profile_the_office_registered() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let officer = app.officer_token(&admin, "630224").await;
    let phone = unique_phone();
    let mut body = crate::program::worker_body("马建国", "63212419880101017");
    body["phone"] = json!(phone);
    let resp = app
        .post_json("/api/v1/workers", Some(&officer), &body)
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let worker: Value = resp.json().await.unwrap();
    let resp = app
        .post_json(
            &format!("/api/v1/workers/{}/claim-code", worker["id"]),
            Some(&officer),
            &json!({}),
        )
        .await;
    let code = resp.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();

    let mut pc = PageClient::new(&app);
    sign_up_with(&mut pc, &phone).await;
    let profile = pc.get("/me/profile").await;
    assert!(
        profile.body.contains("href=\"/me/claim\""),
        "{}",
        profile.body
    );
    let page = pc.get("/me/claim").await;
    assert_eq!(page.status, 200);
    let wrong = pc
        .post(
            "/me/claim",
            &[("csrf", &page.csrf()), ("code", "AAAA-BBBB")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("id=\"code-error\""), "{}", wrong.body);
    assert!(wrong.body.contains("认领码不对"), "{}", wrong.body);
    assert!(
        wrong.body.contains("value=\"AAAA-BBBB\""),
        "what was typed is kept"
    );
    let empty = pc
        .post("/me/claim", &[("csrf", &page.csrf()), ("code", " ")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("必填"));
    // Lower case and spaces are forgiven, as the API forgives them.
    let typed = code.to_lowercase().replace('-', " ");
    let done = pc
        .post("/me/claim", &[("csrf", &page.csrf()), ("code", &typed)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/me/profile?claimed=1");
    let profile = pc.get("/me/profile?claimed=1").await;
    assert!(profile.body.contains("已认领"), "{}", profile.body);
    assert!(profile.body.contains("马建国"));
    let me: Value = app
        .get_auth("/api/v1/me/worker", &token(&pc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], worker["id"]);
}

#[tokio::test]
async fn matches_say_why_in_plain_words_and_a_double_tap_applies_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440100").await;
    let (opening, change) = post_opening(&app, &employer, "招电焊工 包吃住").await;
    let mut pc = PageClient::new(&app);
    pc.sign_up().await;
    let before = pc.get("/me/matches").await;
    assert!(before.body.contains("先填写求职资料"), "{}", before.body);
    let saved = save_profile(&app, &token(&pc), &welder_profile()).await;
    let after = saved.max(change);
    let page = pc.get(&format!("/me/matches?after_change={after}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("招电焊工 包吃住"), "{}", page.body);
    assert!(
        page.body
            .contains("焊工 · 3 年 · 接受广州市 · 月薪 6000–8000 ≥ 期望 5000"),
        "{}",
        page.body
    );
    pc.lang = "en";
    let en = pc.get(&format!("/me/matches?after_change={after}")).await;
    assert!(
        en.body
            .contains("3 years · accepts 广州市 · wage 6000–8000 ≥ wanted 5000"),
        "{}",
        en.body
    );
    pc.lang = "zh-CN,zh;q=0.9";

    // The opening's page carries the form; the same form sent twice at once applies once.
    let page = pc.get(&format!("/openings/{opening}")).await;
    let action = format!("/openings/{opening}/apply");
    let form = form_of(&page, &action);
    let (csrf, key) = (hidden(form, "csrf"), hidden(form, "key"));
    let fields = [("csrf", csrf.as_str()), ("key", key.as_str())];
    let mut second = PageClient::new(&app);
    second.cookies = pc.cookies.clone();
    let (a, b) = tokio::join!(pc.post(&action, &fields), second.post(&action, &fields));
    assert_eq!((a.status, b.status), (303, 303), "{} {}", a.body, b.body);
    assert_eq!(a.location(), b.location());
    assert!(
        a.location().starts_with("/me/applications?applied="),
        "{}",
        a.location()
    );
    let mine: Value = app
        .get_auth("/api/v1/me/applications", &token(&pc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    // Sent again later (a resend after a lost answer): the first answer again.
    let again = pc.post(&action, &fields).await;
    assert_eq!(again.location(), a.location());
    let list = pc.get(a.location()).await;
    assert!(list.body.contains("已提交申请"), "{}", list.body);
    assert!(list.body.contains("招电焊工 包吃住"));
    assert!(list.body.contains("撤回申请"), "a worker may withdraw");
    // The opening's page now shows the application instead of the button.
    let page = pc.get(&format!("/openings/{opening}")).await;
    assert!(!page.body.contains(&action), "{}", page.body);
    assert!(page.body.contains("你的申请"), "{}", page.body);
    // A form without its key is refused.
    let bad = pc.post(&action, &[("csrf", csrf.as_str())]).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn invitations_show_only_the_moves_the_worker_may_make() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, employer) = app.org_token(&admin, "employer", "440100").await;
    let (opening, _) = post_opening(&app, &employer, "招电焊工").await;
    let mut pc = PageClient::new(&app);
    pc.sign_up().await;
    save_profile(&app, &token(&pc), &welder_profile()).await;
    let me: Value = app
        .get_auth("/api/v1/me/worker", &token(&pc))
        .await
        .json()
        .await
        .unwrap();
    let resp = app
        .post_json(
            &format!("/api/v1/openings/{opening}/invitations"),
            Some(&employer),
            &json!({"worker_id": me["id"]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let invitation: Value = resp.json().await.unwrap();
    let id = invitation["id"].as_i64().unwrap();
    let page = pc.get("/me/applications").await;
    assert!(page.body.contains("邀请我的岗位"), "{}", page.body);
    assert!(page.body.contains("接受邀请") && page.body.contains("谢绝邀请"));
    assert!(
        !page.body.contains("撤回邀请"),
        "the employer's move is not the worker's"
    );
    let move_to = |to: &'static str| {
        let csrf = page.csrf();
        (csrf, to)
    };
    // A move the worker may not make (the form forged) is refused, and said so.
    let (csrf, to) = move_to("shortlisted");
    let action = format!("/applications/{id}/move");
    let refused = pc
        .post(
            &action,
            &[("csrf", &csrf), ("to", to), ("back", "/me/applications")],
        )
        .await;
    assert_eq!(refused.status, 303);
    assert_eq!(
        refused.location(),
        "/me/applications?refused=invalid_transition"
    );
    let shown = pc.get(refused.location()).await;
    assert!(
        shown.body.contains("当前状态不允许该操作"),
        "{}",
        shown.body
    );
    let (csrf, to) = move_to("applied");
    let accepted = pc
        .post(
            &action,
            &[("csrf", &csrf), ("to", to), ("back", "/me/applications")],
        )
        .await;
    assert_eq!(accepted.location(), format!("/me/applications?moved={id}"));
    let v: Value = app
        .get_auth(&format!("/api/v1/applications/{id}"), &token(&pc))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["state"], "applied");
    // Another worker does not see it, and cannot move it.
    let mut other = PageClient::new(&app);
    other.sign_up().await;
    let theirs = other.get("/me/applications").await;
    assert!(!theirs.body.contains("招电焊工"));
    let page = other.get("/me/applications").await;
    let stolen = other
        .post(&action, &[("csrf", &page.csrf()), ("to", "withdrawn")])
        .await;
    assert_eq!(stolen.status, 404);
}
