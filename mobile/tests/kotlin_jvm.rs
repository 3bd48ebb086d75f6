//! Runs the Kotlin SDK's JUnit tests (mobile/kotlin) on the desktop JVM: the bindings generated
//! from the freshly built library, JNA loading that very library, and a real `cartable-server`
//! that the Kotlin tests start themselves.
//!
//! Needs `mvn` and `java`; without them the test says SKIPPED and passes, unless
//! `CARTABLE_REQUIRE_ALL=1` (CI), where it fails.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// Prints past the test harness's capture, so the line shows in `cargo test`'s output.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn tool_works(program: &str, arg: &str) -> bool {
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
fn maven_cache_ready(kotlin_dir: &Path) -> bool {
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

fn mvn_test(kotlin_dir: &Path, artifacts: &common::Artifacts, offline: bool) -> Output {
    let mut command = Command::new("mvn");
    command.current_dir(kotlin_dir).args(["-q", "-B"]);
    if offline {
        command.arg("-o");
    }
    command
        .arg("test")
        .arg(format!(
            "-Dcartable.library={}",
            artifacts.library.display()
        ))
        .arg(format!("-Dcartable.server={}", artifacts.server.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run mvn: {e}"))
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
struct Summary {
    tests: u32,
    failures: u32,
    errors: u32,
    skipped: u32,
    seconds: f64,
    suites: Vec<String>,
}

fn surefire_summary(reports: &Path) -> Summary {
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
fn declared_kotlin_tests(dir: &Path) -> u32 {
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

#[test]
fn kotlin_sdk_passes_its_jvm_tests_against_a_real_server() {
    if !tool_works("mvn", "-v") || !tool_works("java", "-version") {
        assert!(
            std::env::var("CARTABLE_REQUIRE_ALL").as_deref() != Ok("1"),
            "CARTABLE_REQUIRE_ALL=1 but mvn or java is missing: the Kotlin tests cannot run"
        );
        say("SKIPPED: Kotlin tests need mvn and java");
        return;
    }

    let started = Instant::now();
    let artifacts = common::build();
    let kotlin_dir = common::mobile_dir().join("kotlin");
    let target = kotlin_dir.join("target");
    common::generate(
        artifacts,
        "kotlin",
        &target.join("generated-sources").join("uniffi"),
    );
    let reports = target.join("surefire-reports");
    if reports.exists() {
        std::fs::remove_dir_all(&reports)
            .unwrap_or_else(|e| panic!("cannot empty {}: {e}", reports.display()));
    }
    let built = started.elapsed();

    let offline = maven_cache_ready(&kotlin_dir);
    let mut output = mvn_test(&kotlin_dir, artifacts, offline);
    let log = |o: &Output| format!("{}{}", text(&o.stdout), text(&o.stderr));
    if offline && !output.status.success() && log(&output).contains("offline") {
        // Something the pom needs is missing from the cache: fetch it from Maven Central.
        output = mvn_test(&kotlin_dir, artifacts, false);
    }

    let summary = surefire_summary(&reports);
    say(&format!(
        "Kotlin SDK on the JVM (surefire): {} tests, {} failures, {} errors, {} skipped; \
         build {:.0} s, mvn{} {:.0} s",
        summary.tests,
        summary.failures,
        summary.errors,
        summary.skipped,
        built.as_secs_f64(),
        if offline { " -o" } else { "" },
        (started.elapsed() - built).as_secs_f64(),
    ));
    for suite in &summary.suites {
        say(suite);
    }
    assert!(
        output.status.success(),
        "mvn test failed (reports in {}):\n{}",
        reports.display(),
        log(&output)
    );
    assert!(summary.tests > 0, "surefire ran no test:\n{}", log(&output));
    assert_eq!(summary.failures + summary.errors, 0);
    let declared = declared_kotlin_tests(&kotlin_dir.join("src").join("test"));
    assert_eq!(
        summary.tests, declared,
        "JUnit ran {} tests but the sources declare {declared} `@Test`s: a test function that \
         returns a value (e.g. `= runBlocking {{ ... }}`) is silently skipped; declare it `: Unit`",
        summary.tests
    );
}
