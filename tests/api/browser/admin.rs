//! An admin in the browser: disables an account, and that account's session (a signed-in
//! browser and an API token) stops working at once; registers a center and gets its
//! invitation; rebuilds the index. With JavaScript on and off.

use super::center::sign_in;
use super::{with_browser, Js};
use crate::helpers::{spawn_app, unique_phone, TEST_PASSWORD};
use crate::pages::PageClient;

async fn admin_story(js: Js) {
    let app = spawn_app().await;
    let admin_phone = unique_phone();
    let pool = labormatch::db::build_pool(app.db_config.clone(), &app.settings).unwrap();
    labormatch::services::accounts::create_admin(
        &pool,
        &app.settings,
        &admin_phone,
        TEST_PASSWORD,
        "管理员",
    )
    .await
    .expect("an admin");
    // A job seeker signed in on a page, and with an API token.
    let mut seeker = PageClient::new(&app);
    let seeker_phone = seeker.sign_up().await;
    assert_eq!(seeker.get("/me/profile/edit").await.status, 200);
    let token = app.login(&seeker_phone, TEST_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.get_auth("/api/v1/me", &token).await.status().as_u16(),
        200
    );

    let typed = seeker_phone.clone();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ran_in = ran.clone();
    with_browser("admin_story", &app.address, js, |b| async move {
        sign_in(&b, &admin_phone).await;
        b.goto(&format!("/admin/accounts?q={typed}")).await;
        b.wait_for_text(&typed).await;
        b.screenshot("admin-accounts").await;
        b.press("停用").await;
        b.wait_for_text("已停用").await;

        b.goto("/admin/organizations").await;
        b.type_into("名称", "化隆县职业技能培训中心").await;
        b.type_into("负责地区代码", "630224").await;
        b.press("创建").await;
        b.wait_for_text("邀请码").await;
        assert!(b.body_text().await.contains("化隆县职业技能培训中心"));

        b.goto("/admin").await;
        b.press("重建索引").await;
        b.wait_for_text("重建完成").await;
        ran_in.store(true, std::sync::atomic::Ordering::SeqCst);
        b
    })
    .await;
    if !ran.load(std::sync::atomic::Ordering::SeqCst) {
        return; // skipped: no browser
    }
    // The disabled account's sessions have ended: the page sends it to sign in, the token is
    // refused, and signing in again is refused.
    let page = seeker.get("/me/profile").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        page.location().starts_with("/signin"),
        "{}",
        page.location()
    );
    assert_eq!(
        app.get_auth("/api/v1/me", &token).await.status().as_u16(),
        401
    );
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({ "phone": seeker_phone, "password": TEST_PASSWORD }),
        )
        .await;
    assert!(resp.status().is_client_error());
}

#[tokio::test]
async fn admin_disables_an_account_and_its_session_stops_js_on() {
    admin_story(Js::On).await;
}

#[tokio::test]
async fn admin_disables_an_account_and_its_session_stops_js_off() {
    admin_story(Js::Off).await;
}
