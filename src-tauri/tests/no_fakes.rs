//! The product links no provider fake: `switchboard-fakes` is never a normal dependency of the
//! shell, directly or through any crate it depends on (only a dev-dependency of crates' tests).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// The packages the shell's binary is built from: its normal dependencies, transitively.
fn product_packages() -> BTreeSet<String> {
    // For this platform only: other platforms' crates may not be downloaded, and it stays offline.
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host()])
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let name_of: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| (package["id"].as_str().expect("an id"), package["name"].as_str().expect("a name")))
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("the resolved graph")
        .iter()
        .map(|node| (node["id"].as_str().expect("an id"), node))
        .collect();
    let shell = name_of.iter().find(|(_, name)| **name == "switchboard").expect("the shell's package").0;
    let (mut seen, mut next) = (BTreeSet::new(), vec![*shell]);
    while let Some(id) = next.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().expect("deps") {
            let normal = dep["dep_kinds"].as_array().expect("dep kinds").iter().any(|kind| kind["kind"].is_null());
            if normal {
                next.push(dep["pkg"].as_str().expect("a package id"));
            }
        }
    }
    seen.into_iter().map(|id| name_of[id].to_owned()).collect()
}

/// The target triple cargo builds for here.
fn host() -> String {
    let output = Command::new(env!("CARGO")).arg("-vV").output().expect("run cargo -vV");
    let text = String::from_utf8(output.stdout).expect("cargo's version text");
    text.lines().find_map(|line| line.strip_prefix("host: ")).expect("cargo names its host").to_owned()
}

#[test]
fn the_shell_links_no_provider_fake() {
    let packages = product_packages();
    assert!(packages.contains("switchboard-sim"), "the walk reaches the shell's own crates: {packages:?}");
    assert!(!packages.contains("switchboard-fakes"), "switchboard-fakes is a normal dependency of the product");
}
