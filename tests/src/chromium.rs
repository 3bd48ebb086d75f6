//! Headless Chromium driven through chromedriver (WebDriver) for the admin page's browser
//! tests: found on the path (Debian's `chromium` and `chromium-driver`), started on a free
//! port, with full-page screenshots saved under `<target>/screenshots/admin/`.

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
pub async fn full_page_screenshot(client: &fantoccini::Client, name: &str) -> PathBuf {
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
