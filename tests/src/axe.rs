//! axe-core (Deque's accessibility checker, MPL 2.0) run inside the browser tests'
//! Chromium: the script is read from the cache `.ci/run` fills with npm, outside the clone,
//! injected through WebDriver (a script run by WebDriver is not bound by the page's CSP),
//! and its violations returned.

use std::path::PathBuf;

/// The axe-core release the tests expect (`.ci/run` installs this one).
pub const VERSION: &str = "4.14.1";

/// Where `.ci/run` installs axe-core; `CARTABLE_AXE_JS` names another copy.
fn path() -> PathBuf {
    std::env::var_os("CARTABLE_AXE_JS").map_or_else(
        || PathBuf::from("/var/cache/cartable-ci/axe/node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    )
}

/// The script of axe-core [`VERSION`], or `None` with "SKIPPED" when it is not installed
/// (a failure under `CARTABLE_REQUIRE_ALL=1`).
pub fn script() -> Option<String> {
    let path = path();
    match std::fs::read_to_string(&path) {
        Ok(s) if s.contains(&format!("axe v{VERSION}")) => Some(s),
        found => {
            let why = match found {
                Ok(_) => format!("{} is not axe-core {VERSION}", path.display()),
                Err(e) => format!("{}: {e}", path.display()),
            };
            assert!(
                !crate::require_all(),
                "CARTABLE_REQUIRE_ALL=1 but axe-core is not available ({why}); \
                 .ci/run installs it with npm"
            );
            eprintln!("SKIPPED accessibility check: axe-core not available ({why})");
            None
        }
    }
}

/// One rule broken on a page.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    /// "minor", "moderate", "serious" or "critical".
    pub impact: Option<String>,
    pub help: String,
    /// Where: CSS selectors and axe's summary, five at most.
    pub nodes: Vec<String>,
}

impl Violation {
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

/// Runs axe-core on the page the browser shows (WCAG 2.1 A and AA rules, and axe's best
/// practices) and returns what it finds.
pub async fn check(client: &fantoccini::Client, script: &str) -> Vec<Violation> {
    client
        .execute(&format!("{script}\nreturn typeof axe;"), vec![])
        .await
        .expect("inject axe-core");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {
               runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
               resultTypes: ['violations'],
             }).then(r => done(r.violations.map(v => ({
               id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' : ' + (n.failureSummary || '')),
             })))).catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    found
        .as_array()
        .expect("axe-core's violations")
        .iter()
        .map(|v| Violation {
            id: text(v, "id"),
            impact: v["impact"].as_str().map(String::from),
            help: text(v, "help"),
            nodes: v["nodes"]
                .as_array()
                .map(|n| {
                    n.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}
