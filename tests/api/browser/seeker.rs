//! The job seeker's story in the browser, JavaScript on and off: signs up, fills the profile,
//! sees the matches with their reasons, taps apply twice (one application), and accepts an
//! employer's invitation.

use fantoccini::Locator;
use serde_json::{json, Value};

use super::worker::{fill_profile, post_opening, sign_up};
use super::{with_browser, Browser, Js, KEY_ENTER};
use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};

impl Browser {
    /// Two taps on the button with this text, as fast as a thumb: the second lands while the
    /// first submit is still on its way.
    pub async fn double_tap(&self, text: &str) {
        self.htmx_idle().await;
        let xpath = format!("//button[normalize-space(.)='{text}']");
        let button = self
            .client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|_| panic!("no button {text:?}"));
        let old = self.client.find(Locator::Css("html")).await.ok();
        match self.js {
            Js::On => {
                let _ = self
                    .client
                    .execute(
                        "const b = arguments[0]; b.click(); setTimeout(() => b.click(), 30);",
                        vec![serde_json::to_value(&button).expect("element")],
                    )
                    .await;
            }
            Js::Off => {
                let _ = button.send_keys(&format!("{KEY_ENTER}{KEY_ENTER}")).await;
            }
        }
        self.settle(old).await;
    }
}

async fn invite(app: &TestApp, employer: &str, opening: i64, worker_id: &Value) {
    let resp = app
        .post_json(
            &format!("/api/v1/openings/{opening}/invitations"),
            Some(employer),
            &json!({ "worker_id": worker_id }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
}

async fn seeker_story(js: Js) {
    let app = spawn_app().await;
    let opening = post_opening(&app).await;
    let phone = unique_phone();
    let typed = phone.clone();
    let app_ref = &app;
    with_browser("seeker_story", &app.address, js, |b| async move {
        sign_up(&b, &typed).await;
        fill_profile(&b).await;
        b.wait_for_text("已保存").await;
        b.press("适合我的岗位").await;
        b.wait_for_text("推荐理由").await;
        b.wait_for_text("招电焊工 包吃住").await;
        b.wait_for_text("焊工 · 3 年 · 接受广州市 · 月薪 6000–8000 ≥ 期望 5000")
            .await;
        b.screenshot("matches").await;

        b.press("查看岗位").await;
        b.wait_for_text("申请这个岗位").await;
        b.screenshot("opening-apply").await;
        b.double_tap("申请这个岗位").await;
        b.wait_for_text("我的申请").await;
        let text = b.body_text().await;
        assert!(
            text.contains("已提交申请") || text.contains("你已经申请过这个岗位"),
            "{text}"
        );
        assert_eq!(text.matches("招电焊工 包吃住").count(), 1, "{text}");
        b.screenshot("applications").await;

        // An employer invites this worker to another opening; the worker accepts.
        let token = app_ref.login(&typed, TEST_PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let me: Value = app_ref
            .get_auth("/api/v1/me/worker", &token)
            .await
            .json()
            .await
            .unwrap();
        let admin = app_ref.admin_token().await;
        let (_, employer) = app_ref.org_token(&admin, "employer", "440100").await;
        let (second, _) =
            crate::pages_work::post_opening(app_ref, &employer, "钢结构焊工 长期").await;
        invite(app_ref, &employer, second, &me["id"]).await;
        b.goto("/me/applications").await;
        b.wait_for_text("邀请我的岗位").await;
        b.wait_for_text("钢结构焊工 长期").await;
        b.screenshot("invitation").await;
        b.press("接受邀请").await;
        b.wait_for_text("已更新").await;
        assert!(!b.body_text().await.contains("接受邀请"));
        b.goto("/me/followups").await;
        b.wait_for_text("上岗回访").await;
        b.screenshot("my-followups").await;
        b.goto("/me/claim").await;
        b.wait_for_text("认领码").await;
        b.screenshot("claim").await;
        b
    })
    .await;
    // The browser's taps are what the API holds: one application to the first opening, the
    // invitation accepted.
    let token = app.login(&phone, TEST_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mine: Value = app
        .get_auth("/api/v1/me/applications", &token)
        .await
        .json()
        .await
        .unwrap();
    let Some(items) = mine["items"].as_array() else {
        return;
    };
    if items.is_empty() {
        return; // skipped: no browser
    }
    let to_first: Vec<&Value> = items
        .iter()
        .filter(|a| a["opening_id"] == opening)
        .collect();
    assert_eq!(to_first.len(), 1, "{mine}");
    assert_eq!(to_first[0]["state"], "applied");
    assert!(
        items.iter().all(|a| a["state"] == "applied"),
        "the invitation was accepted: {mine}"
    );
}

#[tokio::test]
async fn seeker_sees_reasons_applies_once_and_accepts_an_invitation_js_on() {
    seeker_story(Js::On).await;
}

#[tokio::test]
async fn seeker_sees_reasons_applies_once_and_accepts_an_invitation_js_off() {
    seeker_story(Js::Off).await;
}
