//! The OpenAPI document tells the truth (issue 13 item 10): every `$ref` resolves, every
//! operation documents the error answers the service gives it, and the schemas carry the
//! bounds the validation applies. The contract suite (tests/contract) fuzzes the rest.

use serde_json::Value;

use crate::helpers::spawn_app;

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_ref_resolves_and_every_operation_documents_its_errors() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in &found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }

    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            let has = |s: &str| responses.contains_key(s);
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(has("401") && has("403"), "{method} {path}: 401/403");
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(has(s), "{method} {path}: {s}");
                }
            }
            if path.contains('{') {
                assert!(has("400") && has("404"), "{method} {path}: 400/404");
            }
            if method == "post" {
                assert!(has("409"), "{method} {path}: 409 (Idempotency-Key)");
            }
            if path.starts_with("/api/") {
                assert!(has("503"), "{method} {path}: 503");
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorBody",
                        "{method} {path} {status}: the envelope"
                    );
                }
            }
        }
    }
    assert!(operations > 50);

    // Bounds the validation applies are in the schemas.
    let limit = doc["paths"]["/api/v1/workers"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    assert_eq!(
        (limit["minimum"].as_i64(), limit["maximum"].as_i64()),
        (Some(1), Some(100))
    );
    let household = &doc["components"]["schemas"]["HouseholdInput"]["properties"];
    assert_eq!(household["member_count"]["maximum"], 30);
    assert_eq!(household["registry_number"]["maxLength"], 40);
    assert!(household["status"]["enum"].is_array());
    let password = &doc["components"]["schemas"]["RegisterRequest"]["properties"]["password"];
    assert_eq!(password["minLength"], 8);
}
