//! The request's language, chosen from `Accept-Language` (Chinese unless English is preferred).
//! It is kept in a task-local so that error responses, built far from the request, speak it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn from_code(raw: &str) -> Option<Lang> {
        match raw {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The cookie in which the pages remember a language chosen with the switch on the page.
pub const LANG_COOKIE: &str = "lm_lang";

tokio::task_local! {
    static LANG: Lang;
}

pub fn current_lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(Lang::Zh)
}

/// Picks the first language of the header that we speak, honouring q-values.
pub fn negotiate(header: Option<&str>) -> Lang {
    let Some(header) = header else {
        return Lang::Zh;
    };
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        let lang = if tag.starts_with("zh") {
            Lang::Zh
        } else if tag.starts_with("en") {
            Lang::En
        } else {
            continue;
        };
        if best.map(|(bq, _)| q > bq).unwrap_or(true) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or(Lang::Zh)
}

pub async fn language_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // The pages' language switch wins over the browser's header; the API speaks by the header.
    let chosen = if req.path().starts_with("/api/") {
        None
    } else {
        req.cookie(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
    };
    let lang = chosen.unwrap_or_else(|| {
        negotiate(
            req.headers()
                .get(actix_web::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    });
    LANG.scope(lang, next.call(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(None), Lang::Zh);
        assert_eq!(negotiate(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(negotiate(Some("fr, en;q=0.5")), Lang::En);
        assert_eq!(negotiate(Some("en;q=0.4, zh;q=0.8")), Lang::Zh);
        assert_eq!(negotiate(Some("de")), Lang::Zh);
    }
}
