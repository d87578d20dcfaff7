//! Static assets of the pages (CSS, the vendored htmx), embedded in the binary. Each is served
//! under a name carrying a hash of its content (`/assets/site.3f2a9c1b.css`), compressed once
//! (gzip and brotli) the first time it is asked for, and cached by browsers for a year as
//! `immutable`: a new build with a changed file has a new name, so nothing stale is ever shown and
//! a returning phone fetches nothing. Nothing is fetched from another host, at build or run time.

use std::io::Write;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

pub struct Asset {
    /// The name in URLs, with the content hash: `site.3f2a9c1b.css`.
    pub name: String,
    pub content_type: &'static str,
    pub raw: &'static [u8],
    pub gzip: Vec<u8>,
    pub brotli: Vec<u8>,
}

/// What the pages link to: URLs with the content hash.
pub struct AssetUrls {
    pub css: String,
    pub htmx: String,
    pub staff_css: String,
    pub staff_js: String,
    pub chart_css: String,
    pub chart_js: String,
    pub dashboard_js: String,
}

struct Source {
    stem: &'static str,
    ext: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const SOURCES: [Source; 7] = [
    Source {
        stem: "site",
        ext: "css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/site.css"),
    },
    // htmx 2.0.4 from the npm package htmx.org (dist/htmx.min.js), 0BSD licence: see
    // assets/vendor/htmx-2.0.4.LICENSE. Pinned: updating means replacing the file.
    Source {
        stem: "htmx-2.0.4",
        ext: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/htmx-2.0.4.min.js"),
    },
    // The staff pages' own stylesheet and script (tables, the upload progress bar).
    Source {
        stem: "staff",
        ext: "css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/staff.css"),
    },
    Source {
        stem: "staff",
        ext: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/staff.js"),
    },
    // uPlot 1.6.32 from the npm package uplot (dist/uPlot.iife.min.js, dist/uPlot.min.css),
    // MIT licence: see assets/vendor/uPlot-1.6.32.LICENSE. Pinned; the dashboard only.
    Source {
        stem: "uPlot-1.6.32",
        ext: "css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/uPlot-1.6.32.min.css"),
    },
    Source {
        stem: "uPlot-1.6.32",
        ext: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/uPlot-1.6.32.iife.min.js"),
    },
    Source {
        stem: "dashboard",
        ext: "js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/dashboard.js"),
    },
];

fn build(source: &Source) -> Asset {
    let digest = Sha256::digest(source.bytes);
    let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let gzip = gz
        .write_all(source.bytes)
        .and_then(|_| gz.finish())
        .unwrap_or_default();
    let mut brotli = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    if brotli::BrotliCompress(&mut &source.bytes[..], &mut brotli, &params).is_err() {
        brotli.clear();
    }
    Asset {
        name: format!("{}.{short}.{}", source.stem, source.ext),
        content_type: source.content_type,
        raw: source.bytes,
        gzip,
        brotli,
    }
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| SOURCES.iter().map(build).collect());

pub static URLS: LazyLock<AssetUrls> = LazyLock::new(|| AssetUrls {
    css: format!("/assets/{}", ASSETS[0].name),
    htmx: format!("/assets/{}", ASSETS[1].name),
    staff_css: format!("/assets/{}", ASSETS[2].name),
    staff_js: format!("/assets/{}", ASSETS[3].name),
    chart_css: format!("/assets/{}", ASSETS[4].name),
    chart_js: format!("/assets/{}", ASSETS[5].name),
    dashboard_js: format!("/assets/{}", ASSETS[6].name),
});

pub fn all() -> &'static [Asset] {
    &ASSETS
}

/// Which encoding to send, from `Accept-Encoding` (q=0 refuses one).
fn pick_encoding(accept: &str) -> Option<&'static str> {
    let mut br = false;
    let mut gzip = false;
    for part in accept.split(',') {
        let mut pieces = part.trim().split(';');
        let name = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match name.as_str() {
            "br" => br = true,
            "gzip" | "x-gzip" | "*" => gzip = true,
            _ => {}
        }
    }
    if br {
        Some("br")
    } else if gzip {
        Some("gzip")
    } else {
        None
    }
}

pub async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let assets: &'static [Asset] = all();
    let Some(asset) = assets.iter().find(|a| a.name == *name) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let accept = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut resp = HttpResponse::Ok();
    resp.content_type(asset.content_type)
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")));
    let body = match pick_encoding(accept) {
        Some("br") if !asset.brotli.is_empty() => {
            resp.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("br")));
            &asset.brotli[..]
        }
        Some(_) if !asset.gzip.is_empty() => {
            resp.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
            &asset.gzip[..]
        }
        _ => asset.raw,
    };
    resp.body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_hashes_and_compress() {
        for a in all() {
            assert!(
                a.name.split('.').count() == 3
                    || a.name.contains("htmx-2.0.4.")
                    || a.name.contains("uPlot-1.6.32.")
            );
            assert!(
                !a.gzip.is_empty() && a.gzip.len() < a.raw.len(),
                "{}",
                a.name
            );
            assert!(!a.brotli.is_empty() && a.brotli.len() < a.raw.len());
        }
        assert!(URLS.css.starts_with("/assets/site."));
    }

    #[test]
    fn encoding_choice() {
        assert_eq!(pick_encoding("gzip, deflate, br"), Some("br"));
        assert_eq!(pick_encoding("gzip"), Some("gzip"));
        assert_eq!(pick_encoding("br;q=0, gzip"), Some("gzip"));
        assert_eq!(pick_encoding(""), None);
        assert_eq!(pick_encoding("identity"), None);
    }
}
