//! The pages over plain HTTP: assets, sessions and CSRF, answers beside the field in both
//! languages, the shared login throttle, sign-out, and the page-weight budgets.

use std::collections::HashMap;

use crate::helpers::{spawn_app, unique_phone, TestApp, TEST_PASSWORD};

/// A browser-like HTTP client that keeps cookies (reqwest here has no cookie store) and sends
/// what a phone's browser sends.
pub struct PageClient<'a> {
    app: &'a TestApp,
    pub cookies: HashMap<String, String>,
    pub lang: &'static str,
}

pub struct PageAnswer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub set_cookies: Vec<String>,
}

impl PageAnswer {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of `<input ... name="NAME" value="...">`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&needle)? + needle.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_string())
    }

    pub fn csrf(&self) -> String {
        self.input_value("csrf").expect("a csrf field in the form")
    }
}

impl<'a> PageClient<'a> {
    pub fn new(app: &'a TestApp) -> PageClient<'a> {
        PageClient {
            app,
            cookies: HashMap::new(),
            lang: "zh-CN,zh;q=0.9",
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, resp: reqwest::Response) -> PageAnswer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let set_cookies: Vec<String> = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                let max_age_zero = c.to_ascii_lowercase().contains("max-age=0");
                if v.is_empty() || max_age_zero {
                    self.cookies.remove(k.trim());
                } else {
                    self.cookies
                        .insert(k.trim().to_string(), v.trim().to_string());
                }
            }
        }
        PageAnswer {
            status,
            headers,
            body: resp.text().await.unwrap_or_default(),
            set_cookies,
        }
    }

    pub async fn get(&mut self, path: &str) -> PageAnswer {
        let resp = self
            .app
            .client
            .get(self.app.url(path))
            .header("accept", "text/html")
            .header("accept-language", self.lang)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("request");
        self.finish(resp).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> PageAnswer {
        let body = serde_urlencoded::to_string(form).unwrap();
        let resp = self
            .app
            .client
            .post(self.app.url(path))
            .header("accept", "text/html")
            .header("accept-language", self.lang)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", self.cookie_header())
            .body(body)
            .send()
            .await
            .expect("request");
        self.finish(resp).await
    }

    /// Signs up through the page; answers the phone used.
    pub async fn sign_up(&mut self) -> String {
        let phone = unique_phone();
        let page = self.get("/signup").await;
        let answer = self
            .post(
                "/signup",
                &[
                    ("csrf", &page.csrf()),
                    ("phone", &phone),
                    ("password", TEST_PASSWORD),
                    ("display_name", "马小明"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        phone
    }
}

#[tokio::test]
async fn assets_are_hashed_precompressed_and_immutable() {
    let app = spawn_app().await;
    let mut pc = PageClient::new(&app);
    let page = pc.get("/signin").await;
    assert_eq!(page.status, 200);
    let css = labormatch::web::assets::URLS.css.clone();
    assert!(page.body.contains(&css), "the page links {css}");
    for (encoding, expected) in [("br", Some("br")), ("gzip", Some("gzip")), ("", None)] {
        let resp = app
            .client
            .get(app.url(&css))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let h = resp.headers().clone();
        assert_eq!(
            h.get("content-encoding").and_then(|v| v.to_str().ok()),
            expected,
            "{encoding}"
        );
        assert_eq!(
            h.get("cache-control").unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert!(h
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css"));
    }
    let missing = app.get("/assets/site.00000000.css").await;
    assert_eq!(missing.status().as_u16(), 404);
    // The page itself refers to nothing on another host.
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let mut pc = PageClient::new(&app);
    let page = pc.get("/signin").await;
    let no_token = pc
        .post("/signin", &[("phone", "13800000000"), ("password", "x")])
        .await;
    assert_eq!(no_token.status, 403);
    assert!(no_token.body.contains("表单已过期"), "{}", no_token.body);
    // A token from another browser (another nonce) is refused too.
    let mut other = PageClient::new(&app);
    other.get("/signin").await;
    let foreign = other
        .post(
            "/signin",
            &[
                ("csrf", &page.csrf()),
                ("phone", "13800000000"),
                ("password", "x"),
            ],
        )
        .await;
    assert_eq!(foreign.status, 403);
}

#[tokio::test]
async fn sign_up_sets_a_hardened_session_and_sign_out_ends_it() {
    let app = spawn_app().await;
    let mut pc = PageClient::new(&app);
    pc.sign_up().await;
    assert!(pc.cookies.contains_key("lm_at") && pc.cookies.contains_key("lm_rt"));
    let profile = pc.get("/me/profile/edit").await;
    assert_eq!(profile.status, 200);
    let old_refresh = pc.cookies["lm_rt"].clone();
    // Signed in, the sign-in page sends one on.
    assert_eq!(pc.get("/signin").await.status, 303);
    // The cookies are HttpOnly, SameSite=Lax, and not Secure on plain HTTP by default.
    let mut again = PageClient::new(&app);
    let form = again.get("/signup").await;
    let answer = again
        .post(
            "/signup",
            &[
                ("csrf", &form.csrf()),
                ("phone", &unique_phone()),
                ("password", TEST_PASSWORD),
            ],
        )
        .await;
    for c in answer.set_cookies.iter().filter(|c| c.starts_with("lm_")) {
        let lower = c.to_ascii_lowercase();
        assert!(lower.contains("httponly"), "{c}");
        assert!(lower.contains("samesite=lax"), "{c}");
        assert!(lower.contains("path=/"), "{c}");
        assert!(!lower.contains("secure"), "{c}");
    }
    // Sign out: the refresh token of this sign-in no longer works, through the API either.
    let home = pc.get("/").await;
    let out = pc.post("/signout", &[("csrf", &home.csrf())]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/signin");
    assert!(!pc.cookies.contains_key("lm_rt"));
    let refresh = app
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &serde_json::json!({ "refresh_token": old_refresh }),
        )
        .await;
    assert_eq!(refresh.status().as_u16(), 401);
    let after = pc.get("/me/profile").await;
    assert_eq!(after.status, 303);
    assert!(after.location().starts_with("/signin?next="));
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let app = crate::helpers::spawn_app_with(|s| s.cookie_secure = true).await;
    let mut pc = PageClient::new(&app);
    let page = pc.get("/signin").await;
    assert!(page
        .set_cookies
        .iter()
        .all(|c| c.to_ascii_lowercase().contains("secure")));
}

#[tokio::test]
async fn bad_input_is_answered_beside_the_field_in_the_pages_language() {
    let app = spawn_app().await;
    let mut pc = PageClient::new(&app);
    let form = pc.get("/signup").await;
    let answer = pc
        .post(
            "/signup",
            &[
                ("csrf", &form.csrf()),
                ("phone", "12345"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer
            .body
            .contains("id=\"phone-error\">手机号应为 11 位数字"),
        "{}",
        answer.body
    );
    assert!(answer
        .body
        .contains("id=\"password-error\">密码至少 8 个字符"));
    assert!(answer.body.contains("aria-invalid=\"true\""));
    // English by Accept-Language ...
    pc.lang = "en-US,en;q=0.9";
    let form = pc.get("/signup").await;
    let answer = pc
        .post(
            "/signup",
            &[
                ("csrf", &form.csrf()),
                ("phone", "12345"),
                ("password", "short"),
            ],
        )
        .await;
    assert!(answer
        .body
        .contains("id=\"phone-error\">A mobile number has 11 digits"));
    assert!(answer.body.contains("<html lang=\"en\">"));
    // ... and by the switch on the page, remembered over the browser's header.
    pc.lang = "en-US,en;q=0.9";
    let switched = pc.get("/lang?to=zh&back=/signup").await;
    assert_eq!(switched.status, 303);
    assert_eq!(switched.location(), "/signup");
    let page = pc.get("/signup").await;
    assert!(page.body.contains("<html lang=\"zh-CN\">"));
    // The switch never sends anyone to another site.
    let away = pc.get("/lang?to=en&back=//evil.example").await;
    assert_eq!(away.location(), "/");
    // A phone already registered: said beside the phone.
    let phone = pc.sign_up().await;
    let mut other = PageClient::new(&app);
    let form = other.get("/signup").await;
    let taken = other
        .post(
            "/signup",
            &[
                ("csrf", &form.csrf()),
                ("phone", &phone),
                ("password", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(taken.status, 409);
    assert!(taken
        .body
        .contains("id=\"phone-error\">这个手机号已经注册过了"));
    // A NUL pasted into a name (PostgreSQL cannot store it): said beside the field, not a 500.
    let form = other.get("/signup").await;
    let nul = other
        .post(
            "/signup",
            &[
                ("csrf", &form.csrf()),
                ("phone", &unique_phone()),
                ("password", TEST_PASSWORD),
                ("display_name", "马\u{0}明"),
            ],
        )
        .await;
    assert_eq!(nul.status, 422, "{}", nul.body);
    assert!(
        nul.body
            .contains("id=\"display_name-error\">含有无法保存的控制字符"),
        "{}",
        nul.body
    );
}

#[tokio::test]
async fn page_sign_in_shares_the_api_login_throttle() {
    let app = spawn_app().await;
    let mut pc = PageClient::new(&app);
    let phone = pc.sign_up().await;
    let mut stranger = PageClient::new(&app);
    let form = stranger.get("/signin").await;
    let csrf = form.csrf();
    for _ in 0..5 {
        let wrong = stranger
            .post(
                "/signin",
                &[
                    ("csrf", &csrf),
                    ("phone", &phone),
                    ("password", "wrong-password"),
                ],
            )
            .await;
        assert_eq!(wrong.status, 401);
        assert!(wrong
            .body
            .contains("id=\"password-error\">手机号或密码错误"));
    }
    let blocked = stranger
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("phone", &phone),
                ("password", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.headers.get("retry-after").is_some());
    assert!(blocked.body.contains("尝试次数过多"));
    // The API counts the same failures.
    let api = app
        .post_json(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({ "phone": phone, "password": TEST_PASSWORD }),
        )
        .await;
    assert_eq!(api.status().as_u16(), 429);
}

#[tokio::test]
async fn an_expired_access_cookie_is_renewed_from_the_refresh_cookie() {
    let app =
        crate::helpers::spawn_app_with(|s| s.access_token_ttl = std::time::Duration::from_secs(1))
            .await;
    let mut pc = PageClient::new(&app);
    pc.sign_up().await;
    let first_refresh = pc.cookies["lm_rt"].clone();
    // Past the JWT leeway (5 s) the access token no longer verifies.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let page = pc.get("/me/profile").await;
    assert_eq!(page.status, 200, "renewed, not sent to sign in");
    assert_ne!(pc.cookies["lm_rt"], first_refresh, "rotated");
    // A phone that lost that answer repeats the request with the old cookie: still signed in.
    let mut retry = PageClient::new(&app);
    retry.cookies.insert("lm_rt".into(), first_refresh.clone());
    let again = retry.get("/me/profile").await;
    assert_eq!(again.status, 200);
    // An unknown token signs out instead.
    let mut forged = PageClient::new(&app);
    forged.cookies.insert("lm_rt".into(), "forged".into());
    let out = forged.get("/me/profile").await;
    assert_eq!(out.status, 303);
}

#[tokio::test]
async fn unknown_pages_are_pages_and_unknown_api_routes_stay_json() {
    let app = spawn_app().await;
    let mut pc = PageClient::new(&app);
    let page = pc.get("/no-such-page").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("找不到这个页面"));
    let api = app.get("/api/v1/no-such-route").await;
    crate::helpers::assert_error(api, 404, "route_not_found").await;
}

/// Everything a page makes the browser download, compressed as a phone's browser asks for it:
/// the HTML and every stylesheet and script it links (all on this host).
pub(crate) async fn transferred(app: &TestApp, pc: &PageClient<'_>, path: &str) -> (usize, usize) {
    let fetch = |p: String| {
        let req = app
            .client
            .get(app.url(&p))
            .header("accept", "text/html,*/*")
            .header("accept-encoding", "gzip, deflate, br")
            .header("cookie", pc.cookie_header());
        async move {
            let resp = req.send().await.expect("request");
            assert_eq!(resp.status().as_u16(), 200, "{p}");
            // reqwest here does not decompress: these are the bytes on the wire.
            resp.bytes().await.expect("body").to_vec()
        }
    };
    let html_bytes = fetch(path.to_string()).await;
    let html = decompress(&html_bytes);
    let mut total = html_bytes.len();
    let mut links = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html.as_str();
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap_or(0);
            let url = &rest[..end];
            if url.starts_with("/assets/") {
                links.push(url.to_string());
            }
            assert!(
                !url.starts_with("http"),
                "{path} refers to another host: {url}"
            );
        }
    }
    links.sort();
    links.dedup();
    for link in links {
        total += fetch(link).await.len();
    }
    (html_bytes.len(), total)
}

fn decompress(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    if flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .is_ok()
    {
        return out;
    }
    out.clear();
    let mut decoder = brotli::Decompressor::new(bytes, 4096);
    if decoder.read_to_string(&mut out).is_ok() {
        return out;
    }
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn pages_stay_within_their_weight_budgets() {
    const PAGE_BUDGET: usize = 75 * 1024;
    const FIRST_HTML_BUDGET: usize = 14 * 1024;
    let app = spawn_app().await;
    let anonymous = PageClient::new(&app);
    let mut report = Vec::new();
    for path in ["/", "/signin", "/signup"] {
        report.push((path, transferred(&app, &anonymous, path).await));
    }
    let mut worker = PageClient::new(&app);
    worker.sign_up().await;
    for path in ["/me/profile", "/me/profile/edit"] {
        report.push((path, transferred(&app, &worker, path).await));
    }
    for (path, (html, total)) in &report {
        println!("page weight {path}: first HTML {html} B, total {total} B");
        assert!(*total <= PAGE_BUDGET, "{path}: {total} B > {PAGE_BUDGET} B");
    }
    let signin = report.iter().find(|(p, _)| *p == "/signin").unwrap().1;
    assert!(signin.0 <= FIRST_HTML_BUDGET, "sign-in HTML {} B", signin.0);
}
