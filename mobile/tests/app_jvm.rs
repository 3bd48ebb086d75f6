//! Runs the parents' app's JUnit tests (mobile/app) on the desktop JVM: the Compose screens
//! over the Kotlin SDK, driven against a real `cartable-server demo`, each test saving a
//! picture of its screen in `<target>/screenshots/app/` for a person to look at.
//!
//! Puts the SDK (mobile/kotlin, bindings generated from the freshly built library) in the
//! local Maven repository first, then runs `mvn test` in mobile/app. Needs `mvn` and `java`;
//! without them the test says SKIPPED and passes, unless `CARTABLE_REQUIRE_ALL=1` (CI).
//!
//! Then the window test (JUnit tag `window`): the real `main` opens its window on an Xvfb
//! display (`xvfb-run`), a parent signs in with the keyboard and the screen is captured. Without
//! `xvfb-run` it says SKIPPED, a failure under `CARTABLE_REQUIRE_ALL=1` (`.ci/run` installs
//! Debian's `xvfb`).

mod common;

use common::maven::{declared_kotlin_tests, say, surefire_summary, text, tool_works};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn mvn(dir: &Path, offline: bool, args: &[String]) -> Output {
    let mut command = Command::new("mvn");
    command.current_dir(dir).args(["-q", "-B"]);
    if offline {
        command.arg("-o");
    }
    command
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run mvn in {}: {e}", dir.display()))
}

fn log(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// Runs Maven offline first (no network check when the local repository has everything),
/// then online when something is missing from it.
fn mvn_cached(dir: &Path, args: &[String]) -> (Output, bool) {
    let output = mvn(dir, true, args);
    if !output.status.success() && log(&output).contains("offline") {
        return (mvn(dir, false, args), false);
    }
    (output, true)
}

/// True when `program` is an executable file in a folder of `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .any(|dir| std::fs::metadata(dir.join(program)).is_ok_and(|m| m.is_file()))
    })
}

/// Runs the tests tagged `window` under `xvfb-run` (a display of their own, not headless);
/// none when `xvfb-run` is missing. Only Surefire's goal runs (`surefire:test`, not the `test`
/// phase): the classes compiled by the run before are used as they are, instead of compiling
/// the app and its tests a second time.
fn window_tests(app_dir: &Path, properties: &[String]) -> Option<Output> {
    if !on_path("xvfb-run") {
        return None;
    }
    let mut command = Command::new("xvfb-run");
    command
        .current_dir(app_dir)
        .args([
            "-a",
            "-s",
            "-screen 0 1280x1024x24",
            "mvn",
            "-q",
            "-B",
            "-o",
            "surefire:test",
        ])
        .args([
            "-Dgroups=window",
            "-Dcartable.excludedGroups=none",
            "-Dcartable.headless=false",
        ])
        .args(properties);
    Some(
        command
            .output()
            .unwrap_or_else(|e| panic!("cannot run xvfb-run mvn in {}: {e}", app_dir.display())),
    )
}

/// The target folder cargo builds into (`CARGO_TARGET_DIR` or the workspace's `target`).
fn target_dir(artifacts: &common::Artifacts) -> PathBuf {
    // The library sits in <target>/debug/.
    artifacts
        .library
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| common::workspace_root().join("target"))
}

#[test]
fn parents_app_passes_its_screen_tests_against_a_real_server() {
    if !tool_works("mvn", "-v") || !tool_works("java", "-version") {
        assert!(
            std::env::var("CARTABLE_REQUIRE_ALL").as_deref() != Ok("1"),
            "CARTABLE_REQUIRE_ALL=1 but mvn or java is missing: the app's tests cannot run"
        );
        say("SKIPPED: the app's tests need mvn and java");
        return;
    }

    let started = Instant::now();
    let artifacts = common::build();
    let kotlin_dir = common::mobile_dir().join("kotlin");
    let app_dir = common::mobile_dir().join("app");
    common::generate(
        artifacts,
        "kotlin",
        &kotlin_dir
            .join("target")
            .join("generated-sources")
            .join("uniffi"),
    );
    // `maven.test.skip`: the SDK's own tests are neither run nor compiled here
    // (tests/kotlin_jvm.rs runs them).
    let (installed, _) = mvn_cached(
        &kotlin_dir,
        &["install".into(), "-Dmaven.test.skip=true".into()],
    );
    assert!(
        installed.status.success(),
        "installing the SDK failed:\n{}",
        log(&installed)
    );

    let screenshots = target_dir(artifacts).join("screenshots").join("app");
    if screenshots.exists() {
        std::fs::remove_dir_all(&screenshots)
            .unwrap_or_else(|e| panic!("cannot empty {}: {e}", screenshots.display()));
    }
    let reports = app_dir.join("target").join("surefire-reports");
    if reports.exists() {
        std::fs::remove_dir_all(&reports)
            .unwrap_or_else(|e| panic!("cannot empty {}: {e}", reports.display()));
    }
    let built = started.elapsed();

    let properties = [
        format!("-Dcartable.library={}", artifacts.library.display()),
        format!("-Dcartable.server={}", artifacts.server.display()),
        format!("-Dcartable.screenshots={}", screenshots.display()),
    ];
    let mut args = vec!["test".to_string()];
    args.extend(properties.iter().cloned());
    let (output, offline) = mvn_cached(&app_dir, &args);
    // After the first run, every artifact is in the local repository: the window test runs
    // offline.
    let window = window_tests(&app_dir, &properties);
    if window.is_none() {
        assert!(
            std::env::var("CARTABLE_REQUIRE_ALL").as_deref() != Ok("1"),
            "CARTABLE_REQUIRE_ALL=1 but xvfb-run is missing: the app's window cannot be tested \
             (install Debian's xvfb)"
        );
        say("SKIPPED: the app's window test needs xvfb-run (Debian's xvfb)");
    }

    let summary = surefire_summary(&reports);
    say(&format!(
        "Parents' app on the JVM (surefire): {} tests, {} failures, {} errors, {} skipped; \
         build and SDK {:.0} s, mvn{} {:.0} s; screenshots in {}",
        summary.tests,
        summary.failures,
        summary.errors,
        summary.skipped,
        built.as_secs_f64(),
        if offline { " -o" } else { "" },
        (started.elapsed() - built).as_secs_f64(),
        screenshots.display(),
    ));
    for suite in &summary.suites {
        say(suite);
    }
    assert!(
        output.status.success(),
        "mvn test failed in mobile/app (reports in {}):\n{}",
        reports.display(),
        log(&output)
    );
    if let Some(window) = &window {
        assert!(
            window.status.success(),
            "the window test failed under xvfb-run (reports in {}):\n{}",
            reports.display(),
            log(window)
        );
    }
    assert!(summary.tests > 0, "surefire ran no test:\n{}", log(&output));
    assert_eq!(summary.failures + summary.errors, 0);
    let tests = app_dir.join("src").join("test");
    let window_declared = declared_kotlin_tests(
        &tests
            .join("kotlin")
            .join("fr")
            .join("cartable")
            .join("app")
            .join("window"),
    );
    assert!(
        window_declared > 0,
        "the window test is where this driver looks for it"
    );
    let declared =
        declared_kotlin_tests(&tests) - if window.is_some() { 0 } else { window_declared };
    assert_eq!(
        summary.tests, declared,
        "JUnit ran {} tests but the sources declare {declared} `@Test`s: a test function that \
         returns a value (e.g. `= runBlocking {{ ... }}`) is silently skipped; declare it `: Unit`",
        summary.tests
    );
    let pictures = std::fs::read_dir(&screenshots)
        .map(|entries| entries.flatten().count())
        .unwrap_or(0);
    assert!(pictures > 0, "no screenshot in {}", screenshots.display());
    if window.is_some() {
        let picture = screenshots.join("39-fenetre-mon-planning.png");
        assert!(
            picture.is_file(),
            "the window test saved no capture of the screen at {}",
            picture.display()
        );
    }
}
