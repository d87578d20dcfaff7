//! Request input read at the boundary: JSON bodies ([`Json`]) and query strings ([`Query`]).
//! Before a handler sees a value:
//! - text with control characters is refused, naming the field (PostgreSQL cannot store NUL,
//!   and no field wants the others; tab, line feed and carriage return stay allowed);
//! - a body is checked against the OpenAPI schema of its type, so every field that is missing,
//!   of the wrong type, outside its bounds or not one of its values is listed in `details`
//!   at once, and the document and the server cannot disagree about what a body may be;
//! - serde's own words (Rust type names, line and column numbers) never reach a client: the
//!   answer names the field and a stable reason.

use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode, FieldError};

/// Whether `c` may not appear in text: every control character but tab, LF and CR.
pub fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether a text holds a character [`is_refused_control`] refuses.
pub fn has_control_characters(text: &str) -> bool {
    text.chars().any(is_refused_control)
}

pub const CONTROL_CHARACTER: &str = "control_character";

/// A JSON body, checked as the module says. Bodies of any other content type answer 415.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Whether a body is JSON by its `Content-Type` (`application/json` or any `+json` type); the
/// JSON extractor asks it of requests, the ETag middleware of answers.
pub fn is_json(headers: &header::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T> FromRequest for Json<T>
where
    T: DeserializeOwned + utoipa::ToSchema + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req.headers());
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(ErrorCode::UnsupportedMediaType).into());
            }
            let bytes = bytes.await.map_err(|e| payload_error(&e))?;
            parse_body::<T>(&bytes).map(Json).map_err(Into::into)
        })
    }
}

fn payload_error(e: &actix_web::Error) -> ApiError {
    let status = e.as_response_error().status_code();
    if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge)
    } else {
        ApiError {
            cause: Some(e.to_string()),
            ..ApiError::msg(
                ErrorCode::BadRequest,
                "请求内容读取失败",
                "The request body could not be read",
            )
        }
    }
}

/// Parses and checks a JSON body of type `T` (see the module).
pub fn parse_body<T>(bytes: &[u8]) -> Result<T, ApiError>
where
    T: DeserializeOwned + utoipa::ToSchema + 'static,
{
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::msg(
            ErrorCode::MalformedJson,
            format!("JSON 格式错误（第 {} 行第 {} 列）", e.line(), e.column()),
            format!(
                "The request body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut value = value;
    integral_numbers_as_integers(&mut value);
    let mut problems = Vec::new();
    let schema = schema_of::<T>();
    check(&value, &schema, "", &mut problems, 0);
    if !problems.is_empty() {
        return Err(ApiError::validation(dedup(problems)));
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        ApiError::validation(vec![serde_problem(
            &e.path().to_string(),
            &e.into_inner().to_string(),
        )])
    })
}

fn dedup(mut problems: Vec<FieldError>) -> Vec<FieldError> {
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert(p.field.clone()));
    problems
}

/// A serde refusal the schema did not foresee, as (field, stable reason): the message itself
/// (Rust words) is dropped.
fn serde_problem(path: &str, message: &str) -> FieldError {
    let path = if path == "." { "" } else { path };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        return FieldError {
            field: join(path, name),
            reason: "required".into(),
        };
    }
    let reason = if message.starts_with("invalid type") {
        "wrong_type"
    } else if message.starts_with("unknown variant") {
        "unknown_value"
    } else if message.starts_with("premature end of input")
        || message.starts_with("input contains invalid characters")
        || message.starts_with("input is out of range")
        || message.starts_with("trailing input")
    {
        "date_must_be_yyyy_mm_dd"
    } else {
        "invalid_value"
    };
    FieldError {
        field: if path.is_empty() {
            "body".into()
        } else {
            path.to_string()
        },
        reason: reason.into(),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// `2.0` is an integer to JSON Schema (and to any JavaScript client); serde's integers take
/// only `2`. Integral numbers are made integers before anything reads them (a float field takes
/// either).
fn integral_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(x) = n.as_f64() {
                // Within ±2^53 every integral f64 is exactly an i64.
                if x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 {
                    *value = Value::from(x as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// The OpenAPI document as JSON, made once: `$ref`s in a type's schema point into it.
fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(crate::routes::openapi_of_types()).unwrap_or(Value::Null)
    })
}

fn schema_of<T: utoipa::ToSchema + 'static>() -> Arc<Value> {
    static CACHE: OnceLock<RwLock<HashMap<std::any::TypeId, Arc<Value>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let id = std::any::TypeId::of::<T>();
    if let Some(s) = cache.read().ok().and_then(|c| c.get(&id).cloned()) {
        return s;
    }
    let schema = Arc::new(serde_json::to_value(T::schema()).unwrap_or(Value::Null));
    if let Ok(mut c) = cache.write() {
        c.insert(id, schema.clone());
    }
    schema
}

fn resolve(reference: &str) -> Option<&'static Value> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    document().get("components")?.get("schemas")?.get(name)
}

fn regex(pattern: &str) -> Option<Arc<regex::Regex>> {
    static CACHE: OnceLock<RwLock<HashMap<String, Arc<regex::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.read().ok().and_then(|c| c.get(pattern).cloned()) {
        return Some(r);
    }
    let compiled = Arc::new(regex::Regex::new(pattern).ok()?);
    if let Ok(mut c) = cache.write() {
        c.insert(pattern.to_string(), compiled.clone());
    }
    Some(compiled)
}

fn type_matches(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

fn field_name(path: &str) -> String {
    if path.is_empty() {
        "body".into()
    } else {
        path.to_string()
    }
}

/// Checks `value` against a JSON Schema as utoipa writes them (type, enum, bounds, pattern,
/// format date, required, properties, items, `$ref`, oneOf/anyOf/allOf), adding one problem
/// per bad field.
fn check(value: &Value, schema: &Value, path: &str, out: &mut Vec<FieldError>, depth: usize) {
    let Some(s) = schema.as_object() else {
        return;
    };
    if depth > 32 {
        return;
    }
    let add = |out: &mut Vec<FieldError>, reason: &str| {
        out.push(FieldError {
            field: field_name(path),
            reason: reason.to_string(),
        })
    };
    if let Some(target) = s.get("$ref").and_then(Value::as_str).and_then(resolve) {
        check(value, target, path, out, depth + 1);
        return;
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for branch in all {
            check(value, branch, path, out, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array) {
            let mut first = None;
            let mut ok = false;
            for branch in branches {
                let mut problems = Vec::new();
                check(value, branch, path, &mut problems, depth + 1);
                if problems.is_empty() {
                    ok = true;
                    break;
                }
                // The branch of the value's own type explains best why it failed.
                let null_branch = branch.get("type").and_then(Value::as_str) == Some("null");
                if first.is_none() && !null_branch {
                    first = Some(problems);
                }
            }
            if !ok {
                out.extend(first.unwrap_or_else(|| {
                    vec![FieldError {
                        field: field_name(path),
                        reason: "wrong_type".into(),
                    }]
                }));
                return;
            }
        }
    }
    if let Some(ty) = s.get("type") {
        let types: Vec<&str> = match ty {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|t| type_matches(value, t)) {
            let wanted = types
                .iter()
                .find(|t| **t != "null")
                .copied()
                .unwrap_or("null");
            add(out, &format!("must_be_{wanted}"));
            return;
        }
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        if !values.contains(value) {
            add(out, "unknown_value");
            return;
        }
    }
    match value {
        Value::String(text) => {
            // Only the fields the type has are looked at: unknown ones are ignored anyway.
            if has_control_characters(text) {
                add(out, CONTROL_CHARACTER);
                return;
            }
            let n = text.chars().count() as u64;
            if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
                if n < min {
                    add(
                        out,
                        if min == 1 && text.is_empty() {
                            "must_not_be_empty"
                        } else {
                            "too_short"
                        },
                    );
                    return;
                }
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
                if n > max {
                    add(out, "too_long");
                    return;
                }
            }
            if let Some(p) = s.get("pattern").and_then(Value::as_str).and_then(regex) {
                if !p.is_match(text) {
                    add(out, "pattern_mismatch");
                    return;
                }
            }
            if s.get("format").and_then(Value::as_str) == Some("date")
                && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err()
            {
                add(out, "date_must_be_yyyy_mm_dd");
            }
        }
        Value::Number(num) => {
            let Some(x) = num.as_f64() else { return };
            let below = s
                .get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x < m)
                || s.get("exclusiveMinimum")
                    .and_then(Value::as_f64)
                    .is_some_and(|m| x <= m);
            let above = s
                .get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x > m)
                || s.get("exclusiveMaximum")
                    .and_then(Value::as_f64)
                    .is_some_and(|m| x >= m);
            if below || above {
                add(out, "out_of_range");
            }
        }
        Value::Array(items) => {
            if s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| items.len() as u64 > m)
            {
                add(out, "too_many");
                return;
            }
            if s.get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| (items.len() as u64) < m)
            {
                add(out, "too_few");
                return;
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item, item_schema, &format!("{path}[{i}]"), out, depth + 1);
                }
            }
        }
        Value::Object(map) => {
            if let Some(required) = s.get("required").and_then(Value::as_array) {
                for name in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(name) {
                        out.push(FieldError {
                            field: join(path, name),
                            reason: "required".into(),
                        });
                    }
                }
            }
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (name, v) in map {
                    if let Some(p) = props.get(name) {
                        check(v, p, &join(path, name), out, depth + 1);
                    }
                }
            }
        }
        _ => {}
    }
}

/// A query string, checked as the module says: control characters are a 422 naming the
/// parameter; a parameter that does not parse is a 400 `invalid_query` naming each one.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            parse_query(req.query_string())
                .map(Query)
                .map_err(Into::into),
        )
    }
}

/// Parses a query string into `T` (see [`Query`]).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let bad: Vec<FieldError> = pairs
        .iter()
        .filter(|(k, v)| has_control_characters(k) || has_control_characters(v))
        .map(|(k, _)| FieldError {
            field: k.clone(),
            reason: CONTROL_CHARACTER.into(),
        })
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::validation(dedup(bad)));
    }
    // Each parameter that does not parse is named, then left out to find the next one.
    let mut problems = Vec::new();
    for _ in 0..=pairs.len() {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) if problems.is_empty() => return Ok(v),
            Ok(_) => break,
            Err(e) => {
                let path = e.path().to_string();
                let problem = serde_problem(&path, &e.into_inner().to_string());
                let name = problem.field.clone();
                let known = pairs.iter().any(|(k, _)| *k == name);
                problems.push(problem);
                if !known {
                    break;
                }
                pairs.retain(|(k, _)| *k != name);
            }
        }
    }
    for p in &mut problems {
        if p.reason == "wrong_type" || p.reason == "invalid_value" {
            p.reason = "invalid_value".into();
        }
    }
    Err(ApiError {
        details: dedup(problems),
        ..ApiError::new(ErrorCode::InvalidQuery)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<i64>,
        q: String,
        after: Option<i32>,
    }

    #[test]
    fn queries_name_every_bad_parameter() {
        let e = parse_query::<Q>("limit=abc&q=x&after=zz").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidQuery);
        let fields: Vec<&str> = e.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["limit", "after"]);
        let e = parse_query::<Q>("limit=1").unwrap_err();
        assert_eq!(e.details[0].field, "q");
        assert_eq!(e.details[0].reason, "required");
        let e = parse_query::<Q>("q=a%00b").unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert_eq!(e.details[0].reason, CONTROL_CHARACTER);
        assert_eq!(parse_query::<Q>("q=a%09b").unwrap().q, "a\tb");
    }
}
