//! The bindgen of this crate generates Swift and Kotlin from the built library, and both
//! declare the API apps use. (Kotlin is also compiled and run: see `kotlin_jvm.rs`.)

mod common;

use std::path::PathBuf;
use std::process::Command;

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn bindgen_is_pinned_to_the_workspace_uniffi() {
    let artifacts = common::build();
    let output = Command::new(&artifacts.bindgen)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the bindgen: {e}"));
    let version = String::from_utf8_lossy(&output.stdout).into_owned();
    let manifest = read(&common::workspace_root().join("Cargo.toml"));
    let pinned = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("uniffi = \""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no `uniffi = \"...\"` in [workspace.dependencies]"));
    assert!(
        version
            .trim()
            .starts_with(&format!("uniffi-bindgen {pinned}")),
        "bindgen says {version:?}, the workspace pins uniffi {pinned}"
    );
}

#[test]
fn swift_bindings_are_generated_and_declare_the_client_and_its_error() {
    let artifacts = common::build();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bindings-swift");
    common::generate(artifacts, "swift", &out);

    let swift = read(&out.join("CartableMobile.swift"));
    assert!(
        swift.contains("open class CartableClient"),
        "no CartableClient"
    );
    assert!(
        swift.contains("enum CartableError: Swift.Error"),
        "no CartableError"
    );
    assert!(swift.contains("func debugPanicForTests()"));
    assert!(swift.contains("open func planningWeek(anyDay: String)"));
    // "Mes Documents", "Informations", "Téléchargement" and the data export.
    for declaration in [
        "open func queueDocument(fileName: String, bytes: Data, kind: String, childId: String?, validUntil: String?)",
        "open func queueDocumentFile(path: String, kind: String, childId: String?, validUntil: String?)",
        "open func sendDocuments()",
        "open func documents()",
        "open func information()",
        "open func markInformationRead(id: String)",
        "open func downloads()",
        "open func fetchDownload(id: String)",
        "open func exportData(destPath: String)",
        "public func documentKindOptions()",
        "public enum SupportingDocumentState",
        "public struct SupportingDocument:",
        "public struct InformationPage:",
        "public struct Download:",
        "public struct ExportSummary:",
    ] {
        assert!(swift.contains(declaration), "Swift lacks `{declaration}`");
    }
    // The C side an XCFramework needs next to the static library.
    assert!(out.join("CartableMobileFFI.h").is_file());
    assert!(read(&out.join("CartableMobileFFI.modulemap")).contains("CartableMobileFFI"));
}

#[test]
fn kotlin_bindings_are_generated_in_the_sdk_package() {
    let artifacts = common::build();
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bindings-kotlin");
    common::generate(artifacts, "kotlin", &out);

    let kotlin = read(&out.join("fr/cartable/mobile/cartable_mobile.kt"));
    assert!(kotlin.contains("package fr.cartable.mobile"));
    assert!(kotlin.contains("open class CartableClient"));
    assert!(kotlin.contains("sealed class CartableException"));
    assert!(
        kotlin.contains("fun `queueDocument`(`fileName`: kotlin.String, `bytes`: kotlin.ByteArray")
    );
    assert!(kotlin.contains("sealed class SupportingDocumentState"));
}
