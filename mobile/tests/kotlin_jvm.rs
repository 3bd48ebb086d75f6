//! Runs the Kotlin SDK's JUnit tests (mobile/kotlin) on the desktop JVM: the bindings generated
//! from the freshly built library, JNA loading that very library, and a real `cartable-server`
//! that the Kotlin tests start themselves.
//!
//! Needs `mvn` and `java`; without them the test says SKIPPED and passes, unless
//! `CARTABLE_REQUIRE_ALL=1` (CI), where it fails.

mod common;

use common::maven::{
    declared_kotlin_tests, maven_cache_ready, say, surefire_summary, text, tool_works,
};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

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
