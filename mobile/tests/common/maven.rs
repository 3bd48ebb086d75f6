//! Running Maven from the tests: is it there, may it run offline, what did surefire report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Prints past the test harness's capture, so the line shows in `cargo test`'s output.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn tool_works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The value of `<name>` in the pom's properties.
fn pom_property(pom: &str, name: &str) -> Option<String> {
    let start = pom.find(&format!("<{name}>"))? + name.len() + 2;
    let end = pom[start..].find(&format!("</{name}>"))? + start;
    Some(pom[start..end].trim().to_string())
}

/// True when the local Maven repository already holds the versions the pom names, so Maven
/// can run offline (`-o`) and skip every network check.
pub fn maven_cache_ready(kotlin_dir: &Path) -> bool {
    let Ok(pom) = std::fs::read_to_string(kotlin_dir.join("pom.xml")) else {
        return false;
    };
    let Some(home) = std::env::var_os("HOME") else {
        return false;
    };
    let repo = PathBuf::from(home).join(".m2/repository");
    [
        ("org/jetbrains/kotlin/kotlin-maven-plugin", "kotlin.version"),
        (
            "org/jetbrains/kotlinx/kotlinx-coroutines-core-jvm",
            "coroutines.version",
        ),
        ("net/java/dev/jna/jna", "jna.version"),
        ("org/junit/jupiter/junit-jupiter", "junit.version"),
        (
            "org/apache/maven/surefire/surefire-junit-platform",
            "surefire.version",
        ),
    ]
    .iter()
    .all(|(path, property)| {
        pom_property(&pom, property).is_some_and(|v| repo.join(path).join(v).is_dir())
    })
}

/// One attribute of the first `<tag ...>` in an XML text.
fn attribute(xml: &str, tag: &str, name: &str) -> Option<String> {
    let open = xml.find(&format!("<{tag} "))?;
    let head = &xml[open..open + xml[open..].find('>')?];
    let start = head.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = head[start..].find('"')? + start;
    Some(head[start..end].to_string())
}

/// Totals of surefire's XML reports, and one line per failed test case.
#[derive(Debug, Default)]
pub struct Summary {
    pub tests: u32,
    pub failures: u32,
    pub errors: u32,
    pub skipped: u32,
    pub seconds: f64,
    pub suites: Vec<String>,
}

pub fn surefire_summary(reports: &Path) -> Summary {
    let mut summary = Summary::default();
    let Ok(entries) = std::fs::read_dir(reports) else {
        return summary;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("TEST-") && n.ends_with(".xml"))
        })
        .collect();
    files.sort();
    for file in files {
        let Ok(xml) = std::fs::read_to_string(&file) else {
            continue;
        };
        let number = |name: &str| {
            attribute(&xml, "testsuite", name)
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        };
        let (tests, failures, errors, skipped) = (
            number("tests"),
            number("failures"),
            number("errors"),
            number("skipped"),
        );
        let seconds: f64 = attribute(&xml, "testsuite", "time")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let name = attribute(&xml, "testsuite", "name").unwrap_or_default();
        summary.tests += tests;
        summary.failures += failures;
        summary.errors += errors;
        summary.skipped += skipped;
        summary.seconds += seconds;
        summary.suites.push(format!(
            "  {name}: {tests} run, {failures} failures, {errors} errors, {skipped} skipped ({seconds:.1} s)"
        ));
    }
    summary
}

/// The `@Test` annotations of the Kotlin test sources: JUnit silently ignores a test that
/// returns a value (e.g. `fun t() = runBlocking { ... }` ending on an expression), so the run
/// is checked against this count.
pub fn declared_kotlin_tests(dir: &Path) -> u32 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| e.path())
        .map(|p| {
            if p.is_dir() {
                declared_kotlin_tests(&p)
            } else if p.extension().is_some_and(|x| x == "kt") {
                let source = std::fs::read_to_string(&p).unwrap_or_default();
                let count = source.lines().filter(|l| l.trim() == "@Test").count();
                u32::try_from(count).unwrap_or(u32::MAX)
            } else {
                0
            }
        })
        .sum()
}
