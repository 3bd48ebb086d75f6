//! Headless Chromium driven through chromedriver (WebDriver) for the admin page's browser
//! tests: found on the path (Debian's `chromium` and `chromium-driver`), started on a free
//! port, with full-page screenshots saved under `<target>/screenshots/admin/`.
//!
//! A browser test calls [`on_each_backend`]: one chromedriver and one Chromium for the whole
//! test, a fresh server per backend (SQLite, then PostgreSQL when available), and
//! [`Session::run`] signs in and drives the steps. Screenshots are taken on SQLite only, so the
//! files keep one backend's pictures.

use crate::{Backend, TestServer};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A program on the path.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium and chromedriver, or why the browser tests cannot run. Under
/// `CARTABLE_REQUIRE_ALL=1` their absence is a failure; otherwise the test says SKIPPED.
pub fn find() -> Option<(PathBuf, PathBuf)> {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|n| on_path(n));
    let driver = on_path("chromedriver");
    match (browser, driver) {
        (Some(b), Some(d)) => Some((b, d)),
        _ if crate::require_all() => {
            panic!("CARTABLE_REQUIRE_ALL=1 but chromium or chromedriver is not on the path")
        }
        _ => {
            eprintln!("SKIPPED: chromium not found (install chromium and chromium-driver)");
            None
        }
    }
}

/// A running chromedriver, stopped when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver on a free port and waits until it answers.
pub fn start_driver(driver: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    // Chromium takes its interface language (date fields in JJ/MM/AAAA) from the
    // environment on Linux, whatever `--lang` says.
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .env("LANGUAGE", "fr_FR:fr")
        .env("LANG", "fr_FR.UTF-8")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let driver = Driver { child, url };
    for _ in 0..200 {
        if ureq::get(format!("{}/status", driver.url)).call().is_ok() {
            return driver;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

/// A WebDriver session of headless Chromium, in French (interface, `Accept-Language`).
pub async fn connect(driver: &Driver, browser: &Path) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": browser.to_string_lossy(),
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,900",
                "--lang=fr-FR",
                "--accept-lang=fr-FR,fr",
                "--force-device-scale-factor=1",
            ],
            "prefs": {"intl.accept_languages": "fr-FR,fr"},
        }),
    );
    fantoccini::ClientBuilder::native()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session")
}

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots/admin` (the target folder of the
/// running test binary when the variable is not set).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join("screenshots").join("admin");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

/// Saves a screenshot of the whole page (the window is made as tall as the page first).
async fn full_page_screenshot(client: &fantoccini::Client, name: &str) -> PathBuf {
    let height = client
        .execute(
            "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(900)
        .clamp(600, 8000);
    let _ = client
        .set_window_size(1280, u32::try_from(height).unwrap_or(900) + 140)
        .await;
    let png = client.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    let _ = client.set_window_size(1280, 900).await;
    eprintln!("screenshot: {}", path.display());
    path
}

/// Waits (pages load after a click) until the element's text contains `want`.
pub async fn wait_text(client: &fantoccini::Client, css: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = client.find(fantoccini::Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if t.contains(want) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css}: waited for {want:?}, last saw {last:?}");
}

/// Replaces the text of the field at `css` with `value`.
pub async fn fill(client: &fantoccini::Client, css: &str, value: &str) {
    let field = client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

/// Clicks the element at `css`.
pub async fn click(client: &fantoccini::Client, css: &str) {
    client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// Signs the demo agent in (no second factor) and waits for the dashboard.
pub async fn sign_in_agent(c: &fantoccini::Client, server: &TestServer) {
    c.goto(&format!("{}/admin/connexion", server.url))
        .await
        .expect("goto");
    fill(c, "#login", "agent").await;
    fill(c, "#password", cartable_server::demo::AGENT_PASSWORD).await;
    click(c, "button.primary").await;
    wait_text(c, "h1", "Tableau de bord").await;
}

/// Signs the demo administrator in on a fresh server: password, then the second factor set
/// up from the secret the page shows, then past the recovery codes to the dashboard.
pub async fn sign_in_admin(c: &fantoccini::Client, server: &crate::TestServer) {
    c.goto(&format!("{}/admin/connexion", server.url))
        .await
        .expect("goto");
    fill(c, "#login", "admin").await;
    fill(c, "#password", cartable_server::demo::STAFF_PASSWORD).await;
    click(c, "button.primary").await;
    wait_text(c, "h1", "Activer la double authentification").await;
    let secret = c
        .find(fantoccini::Locator::Css("#totp-secret"))
        .await
        .expect("secret")
        .text()
        .await
        .expect("text")
        .replace(' ', "");
    fill(c, "#code", &crate::admin_page::code(server, &secret, 0)).await;
    click(c, "button.primary").await;
    wait_text(c, "h1", "Vos codes de secours").await;
    click(c, "a.button.primary").await;
    wait_text(c, "h1", "Tableau de bord").await;
}

/// Who the browser is signed in as when a scenario's steps start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Nobody: the steps start on a blank page, signed out.
    Nobody,
    /// The demo administrator, first login with the second factor set up.
    Administrator,
    /// The demo agent (no second factor).
    Agent,
}

/// One headless Chromium (a WebDriver session through its own chromedriver) and the runtime
/// that drives it, reused by every backend a test runs on.
pub struct Session {
    client: fantoccini::Client,
    runtime: tokio::runtime::Runtime,
    _driver: Driver,
}

impl Session {
    /// Starts chromedriver and Chromium, or `None` with "SKIPPED" when they are not installed
    /// (a failure under `CARTABLE_REQUIRE_ALL=1`).
    pub fn start() -> Option<Session> {
        let (browser, driver) = find()?;
        let driver = start_driver(&driver);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = runtime.block_on(async {
            let client = connect(&driver, &browser).await;
            // The browser speaks French: date fields read JJ/MM/AAAA in the screenshots.
            let language = client
                .execute("return navigator.language;", vec![])
                .await
                .expect("language");
            assert_eq!(language.as_str(), Some("fr-FR"), "Chromium's language");
            client
        });
        Some(Session {
            client,
            runtime,
            _driver: driver,
        })
    }

    /// Runs `steps` against `server`, signed in as `who` (cookies of any earlier server are
    /// forgotten first: they are per host, not per port).
    pub fn run<T>(
        &self,
        server: &TestServer,
        who: SignIn,
        steps: impl for<'p> AsyncFnOnce(&'p Page<'p>) -> T,
    ) -> T {
        self.runtime.block_on(async {
            let c = &self.client;
            c.goto("about:blank").await.expect("blank page");
            c.delete_all_cookies().await.expect("forget cookies");
            let _ = c.set_window_size(1280, 900).await;
            match who {
                SignIn::Nobody => {}
                SignIn::Administrator => sign_in_admin(c, server).await,
                SignIn::Agent => sign_in_agent(c, server).await,
            }
            let page = Page {
                client: c,
                server,
                screenshots: server.backend == Backend::Sqlite,
            };
            steps(&page).await
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let client = self.client.clone();
        let _ = self.runtime.block_on(client.close());
    }
}

/// The browser as a scenario's steps see it: the WebDriver client (through `Deref`) and the
/// server it is pointed at.
pub struct Page<'a> {
    client: &'a fantoccini::Client,
    pub server: &'a TestServer,
    screenshots: bool,
}

impl Deref for Page<'_> {
    type Target = fantoccini::Client;
    fn deref(&self) -> &fantoccini::Client {
        self.client
    }
}

impl Page<'_> {
    /// The server's address, e.g. `http://127.0.0.1:40123`.
    pub fn base(&self) -> &str {
        &self.server.url
    }

    /// Opens `path` on the server.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.server.url))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }

    /// Saves a screenshot of the whole page as `<name>.png` (on SQLite only: the PostgreSQL run
    /// shows the same pages, and its files would overwrite the first ones).
    pub async fn full_page_screenshot(&self, name: &str) {
        if self.screenshots {
            full_page_screenshot(self.client, name).await;
        }
    }
}

/// Runs `scenario` once per backend (see [`crate::backends`]) with one Chromium for all of
/// them; without Chromium it says SKIPPED and returns.
pub fn on_each_backend(scenario: impl Fn(&Session, &TestServer)) {
    let Some(session) = Session::start() else {
        return;
    };
    for backend in crate::backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start(backend);
        scenario(&session, &server);
    }
}
