//! The browser-test harness: Debian's `chromium` driven headless through `chromedriver` with the
//! fantoccini WebDriver client, against the real app on port 0 with its own database (as every
//! API test). Tests find things as a person does, by label and visible text.
//!
//! When chromium or chromedriver is missing the tests say so loudly and pass as skipped, so a
//! developer without them can still run `cargo test`; under `CI=true` a missing browser fails.
//! Each test runs once with JavaScript on and once with it off (a Chrome content setting).
//! Screenshots at 360 px go to `target/screenshots/`.

mod admin;
pub(crate) mod center;
mod dashboard;
mod employer;
mod officer;
mod seeker;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::sync::Semaphore;

const KEY_ENTER: &str = "\u{E007}";
const KEY_HOME: &str = "\u{E011}";
const KEY_DOWN: &str = "\u{E015}";

/// Browsers open at once: each is a few hundred MB, and the machine has two cores.
static BROWSERS: Semaphore = Semaphore::const_new(2);

struct Driver {
    url: String,
    chromium: PathBuf,
}

static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();

fn find_binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Starts one chromedriver for the whole test run on a thread that lives as long as the process,
/// with a parent-death signal, so it never outlives the tests.
fn driver() -> Result<&'static Driver, String> {
    DRIVER
        .get_or_init(|| {
            let chromium = find_binary(
                "LABORMATCH_CHROMIUM",
                &[
                    "/usr/lib/chromium/chromium",
                    "/usr/bin/chromium",
                    "/usr/bin/chromium-browser",
                ],
            )
            .ok_or("chromium not found (apt-get install chromium)")?;
            let chromedriver = find_binary(
                "LABORMATCH_CHROMEDRIVER",
                &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
            )
            .ok_or("chromedriver not found (apt-get install chromium-driver)")?;
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| e.to_string())?
                .port();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                use std::os::unix::process::CommandExt;
                let mut cmd = std::process::Command::new(&chromedriver);
                cmd.arg(format!("--port={port}"))
                    .arg(format!(
                        "--log-path={}",
                        screenshot_dir().join("chromedriver.log").display()
                    ))
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal the
                // driver when this thread (alive until the process ends) goes away.
                unsafe {
                    cmd.pre_exec(|| {
                        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                        Ok(())
                    });
                }
                match cmd.spawn() {
                    Ok(child) => {
                        let _ = tx.send(Ok(()));
                        let _keep = child;
                        loop {
                            std::thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("starting chromedriver: {e}")));
                    }
                }
            });
            rx.recv().map_err(|e| e.to_string())??;
            let url = format!("http://127.0.0.1:{port}");
            // Wait until it answers.
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Ok(Driver { url, chromium });
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err("chromedriver did not start listening".to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The driver, or `None` after saying loudly why browser tests are skipped. Under CI a missing
/// browser is a failure.
fn driver_or_skip(test: &str) -> Option<&'static Driver> {
    match driver() {
        Ok(d) => Some(d),
        Err(why) => {
            if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
                panic!("browser test {test}: {why} (required under CI=true)");
            }
            eprintln!(
                "\n********************************************************************\n\
                 SKIPPED browser test {test}: {why}\n\
                 Install Debian's chromium and chromium-driver to run it.\n\
                 ********************************************************************\n"
            );
            None
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Js {
    On,
    Off,
}

impl Js {
    pub fn tag(self) -> &'static str {
        match self {
            Js::On => "js",
            Js::Off => "nojs",
        }
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
    pub js: Js,
    _profile: tempfile::TempDir,
}

/// Where screenshots go: `target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Opens a fresh headless Chromium (its own profile directory) 360 px wide, runs `story` in it,
/// and always closes the browser, also when the story fails. Skips when there is no browser.
pub async fn with_browser<F, Fut>(test: &str, base: &str, js: Js, story: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: std::future::Future<Output = Browser>,
{
    with_browser_at(test, base, js, (360, 800), story).await
}

/// `with_browser` with a window of `(width, height)` px (a desktop screen, say).
pub async fn with_browser_at<F, Fut>(
    test: &str,
    base: &str,
    js: Js,
    (width, height): (u32, u32),
    story: F,
) where
    F: FnOnce(Browser) -> Fut,
    Fut: std::future::Future<Output = Browser>,
{
    let Some(driver) = driver_or_skip(test) else {
        return;
    };
    let _permit = BROWSERS.acquire().await.expect("semaphore");
    let profile = tempfile::tempdir().expect("profile dir");
    let mut options = serde_json::json!({
        "binary": driver.chromium,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--hide-scrollbars", "--lang=zh-CN",
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},{height}")
        ],
        "mobileEmulation": {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}},
        "prefs": {"intl.accept_languages": "zh-CN,zh"}
    });
    if js == Js::Off {
        // Blink's own switch: page scripts never run, while chromedriver (which drives the page
        // through DevTools) keeps working. The content-setting pref does the same for the page
        // but leaves chromedriver waiting for navigations after a form submit.
        options["args"]
            .as_array_mut()
            .expect("args")
            .push("--blink-settings=scriptEnabled=false".into());
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "chrome".into());
    // chromedriver's own wait for a page to load runs script in it, which never finishes with
    // scripts off; the helpers below wait for the new page themselves (the old one goes stale).
    caps.insert("pageLoadStrategy".into(), "none".into());
    caps.insert("goog:chromeOptions".into(), options);
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session");
    let browser = Browser {
        client: client.clone(),
        base: base.to_string(),
        js,
        _profile: profile,
    };
    use futures_util::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(story(browser))
        .catch_unwind()
        .await;
    if outcome.is_err() {
        let _ = save_screenshot(&client, &format!("FAILED-{test}-{}", js.tag())).await;
    }
    let _ = client.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn save_screenshot(client: &Client, name: &str) -> Option<PathBuf> {
    let png = client.screenshot().await.ok()?;
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).ok()?;
    Some(path)
}

fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else {
        format!("concat('{}')", s.replace('\'', "', \"'\", '"))
    }
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        let old = self.client.find(Locator::Css("html")).await.ok();
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
        self.settle(old).await;
    }

    /// Waits until the page that was shown (`old`) has gone and the new one has a body.
    async fn settle(&self, old: Option<Element>) {
        for _ in 0..100 {
            let gone = match &old {
                Some(e) => e.tag_name().await.is_err(),
                None => true,
            };
            if gone {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let ready = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("body"))
            .await;
        assert!(ready.is_ok(), "the page never loaded");
        // Give a fresh document a moment to parse past the first bytes.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn body_text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .text()
            .await
            .unwrap_or_default()
    }

    /// Waits (up to 10 s) until the page shows `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let xpath = format!(
            "//body[contains(normalize-space(.), {})]",
            xpath_literal(text)
        );
        if self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .is_err()
        {
            panic!(
                "the page {} never showed {text:?}; it shows:\n{}",
                self.path().await,
                self.body_text().await
            );
        }
    }

    /// The form control a label names (by `for`, or the control inside the label): an exact
    /// label first, else one containing the words.
    pub async fn field(&self, label: &str) -> Element {
        self.field_in(None, label).await
    }

    /// The same, inside the fieldset whose legend is `legend`.
    pub async fn field_in(&self, legend: Option<&str>, label: &str) -> Element {
        let lit = xpath_literal(label);
        let scope = match legend {
            Some(l) => format!(
                "//fieldset[legend[normalize-space(.)={}]]",
                xpath_literal(l)
            ),
            None => String::new(),
        };
        let exact = format!("{scope}//label[normalize-space(.)={lit}]");
        let loose = format!("{scope}//label[contains(normalize-space(.), {lit})]");
        let mut found = None;
        for _ in 0..50 {
            for xpath in [&exact, &loose] {
                if let Ok(e) = self.client.find(Locator::XPath(xpath)).await {
                    found = Some(e);
                    break;
                }
            }
            if found.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let found = found.unwrap_or_else(|| panic!("no label {label:?} in {legend:?}"));
        match found.attr("for").await.ok().flatten() {
            Some(id) => self
                .client
                .find(Locator::Id(&id))
                .await
                .unwrap_or_else(|_| panic!("label {label:?} points at a missing #{id}")),
            None => found
                .find(Locator::XPath(".//input|.//select|.//textarea"))
                .await
                .unwrap_or_else(|_| panic!("label {label:?} holds no control")),
        }
    }

    /// With scripts on, waits until htmx has no request in flight (it marks the element that
    /// asked with `htmx-request`), so the next step does not touch a part about to be swapped.
    pub async fn htmx_idle(&self) {
        if self.js == Js::Off {
            return;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        for _ in 0..100 {
            match self.client.find_all(Locator::Css(".htmx-request")).await {
                Ok(busy) if busy.is_empty() => return,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn type_into(&self, label: &str, text: &str) {
        self.htmx_idle().await;
        let f = self.field(label).await;
        f.clear().await.expect("clear");
        f.send_keys(text).await.expect("type");
    }

    /// Chooses an option by its visible text (exact, or containing `text`).
    pub async fn choose(&self, label: &str, text: &str) {
        self.choose_in(None, label, text).await
    }

    pub async fn choose_in(&self, legend: Option<&str>, label: &str, text: &str) {
        self.htmx_idle().await;
        let select = self.field_in(legend, label).await;
        let lit = xpath_literal(text);
        let mut option = None;
        for xpath in [
            format!(".//option[normalize-space(.)={lit}]"),
            format!(".//option[contains(normalize-space(.), {lit})]"),
        ] {
            if let Ok(o) = select.find(Locator::XPath(&xpath)).await {
                option = Some(o);
                break;
            }
        }
        let option = option.unwrap_or_else(|| panic!("no option {text:?} under {label:?}"));
        if self.js == Js::On {
            option.click().await.expect("choose");
            self.htmx_idle().await;
            return;
        }
        // Scripts off: by keyboard (see `tap`): Home, then down to the option.
        let all = select
            .find_all(Locator::Css("option"))
            .await
            .expect("options");
        let index = all
            .iter()
            .position(|o| o.element_id() == option.element_id())
            .expect("option index");
        let mut keys = String::from(KEY_HOME);
        for _ in 0..index {
            keys.push_str(KEY_DOWN);
        }
        select.send_keys(&keys).await.expect("choose by keyboard");
    }

    /// A tap. With scripts on, WebDriver's element click. With scripts off chromedriver's click
    /// (and its pointer actions) wait for a page timer that never fires, so the element is
    /// activated from the keyboard instead (Enter on a button or link, as a keyboard user does);
    /// typing needs no page script.
    async fn tap(&self, element: Element) {
        match self.js {
            Js::On => element.click().await.expect("tap"),
            Js::Off => element.send_keys(KEY_ENTER).await.expect("enter"),
        }
    }

    /// Presses the (visible) button with this text.
    pub async fn press(&self, text: &str) {
        self.htmx_idle().await;
        let lit = xpath_literal(text);
        // Buttons before links: the header's "sign in" link must not stand in for the form's
        // "sign in" button.
        let mut buttons = self
            .client
            .find_all(Locator::XPath(&format!(
                "//button[normalize-space(.)={lit}]"
            )))
            .await
            .expect("find buttons");
        buttons.extend(
            self.client
                .find_all(Locator::XPath(&format!("//a[normalize-space(.)={lit}]")))
                .await
                .expect("find links"),
        );
        for b in buttons {
            if b.is_displayed().await.unwrap_or(false) {
                let old = self.client.find(Locator::Css("html")).await.ok();
                self.tap(b).await;
                // Every button and link here leads to a new page (htmx only swaps on input).
                self.settle(old).await;
                return;
            }
        }
        panic!("no visible button {text:?} on {}", self.path().await);
    }

    /// Without JavaScript the pickers need a press of their refresh button; with it, htmx has
    /// already swapped them in (wait for `then_label` to appear in the fieldset).
    pub async fn after_choice(&self, legend: &str, refresh_button: &str, then_label: &str) {
        if self.js == Js::Off {
            self.press(refresh_button).await;
        }
        self.field_in(Some(legend), then_label).await;
    }

    pub async fn screenshot(&self, name: &str) {
        save_screenshot(&self.client, &format!("{name}-{}", self.js.tag()))
            .await
            .expect("screenshot written");
    }
}
