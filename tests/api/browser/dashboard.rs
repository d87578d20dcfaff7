//! The dashboard on a desktop screen with the known world's figures and a target: tables and
//! charts side by side (the screenshot in README comes from here).

use fantoccini::Locator;
use serde_json::json;

use super::center::sign_in;
use super::{with_browser_at, Js};
use crate::helpers::{spawn_app, unique_phone, TEST_PASSWORD};

#[tokio::test]
async fn dashboard_draws_its_charts_beside_the_tables_on_a_desktop() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let phone = unique_phone();
    let resp = app
        .post_json(
            "/api/v1/officers",
            Some(&admin),
            &json!({ "phone": phone, "password": TEST_PASSWORD, "region_code": "630000" }),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    crate::outcomes::seed_known_world(&app).await;
    let year = chrono::Datelike::year(&chrono::Local::now().date_naive());
    for (county, people, workers) in [("630224", 40, 12), ("630225", 30, 8)] {
        let resp = app
            .client
            .put(app.url(&format!("/api/v1/targets/{county}/{year}")))
            .bearer_auth(&admin)
            .json(&json!({ "people_out_of_poverty": people, "workers_to_place": workers }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
    with_browser_at(
        "dashboard_desktop",
        &app.address,
        Js::On,
        (1280, 1700),
        |b| async move {
            sign_in(&b, &phone).await;
            b.goto("/dashboard?group_by=county&from=2000-01-01").await;
            b.wait_for_text("年度目标进度").await;
            for chart in ["chart-placements", "chart-retention", "chart-wages"] {
                b.client
                    .wait()
                    .at_most(std::time::Duration::from_secs(10))
                    .for_element(Locator::Css(&format!("#{chart} canvas")))
                    .await
                    .unwrap_or_else(|_| panic!("{chart} drawn"));
            }
            let text = b.body_text().await;
            assert!(text.contains("化隆回族自治县"), "{text}");
            assert!(text.contains("青海省（全省合计）"), "{text}");
            b.screenshot("dashboard-desktop").await;
            b
        },
    )
    .await;
}
