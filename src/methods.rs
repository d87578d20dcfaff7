//! HTTP methods beyond what each route declares: HEAD is answered wherever GET is (the same
//! headers, no body), and a path that exists under other methods answers 405 with `Allow`
//! rather than 404.

use std::sync::OnceLock;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// The API's path templates (from the OpenAPI document, which lists exactly the routes served)
/// as patterns, with their methods.
fn routes() -> &'static [(regex::Regex, Vec<String>)] {
    static ROUTES: OnceLock<Vec<(regex::Regex, Vec<String>)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let api = crate::routes::openapi();
        api.paths
            .paths
            .iter()
            .filter_map(|(template, item)| {
                let pattern = template
                    .split('/')
                    .map(|segment| {
                        if segment.starts_with('{') && segment.ends_with('}') {
                            "[^/]+".to_string()
                        } else {
                            regex::escape(segment)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                let re = regex::Regex::new(&format!("^{pattern}$")).ok()?;
                let mut methods = Vec::new();
                for (method, present) in [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ] {
                    if present {
                        methods.push(method.to_string());
                    }
                }
                Some((re, methods))
            })
            .collect()
    })
}

/// The methods a path is served with (empty when no route has it). When several templates
/// match (`/openings/search` and `/openings/{id}`), the most literal one names the resource.
pub fn allowed_methods(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let literal = |re: &regex::Regex| re.as_str().matches("[^/]+").count();
    let Some(fewest) = routes()
        .iter()
        .filter(|(re, _)| re.is_match(path))
        .map(|(re, _)| literal(re))
        .min()
    else {
        return out;
    };
    for (re, methods) in routes() {
        if re.is_match(path) && literal(re) == fewest {
            for m in methods {
                if !out.contains(m) {
                    out.push(m.clone());
                }
            }
        }
    }
    // A stable order: the order of the table above.
    let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
    out.sort_by_key(|m| order.iter().position(|o| o == m));
    out
}

/// HEAD runs as GET and is answered with the GET answer's status and headers, without its body.
pub async fn head_middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::HEAD {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    req.head_mut().method = Method::GET;
    let res = next.call(req).await?;
    Ok(res.map_body(|_, _| BoxBody::new(())))
}
