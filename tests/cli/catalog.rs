//! The catalog of checks: `explain`, `list`, and the README's table kept in step with the registry.

use super::{run, support};
use preflight::registry;

#[test]
fn explain_prints_the_five_sections() {
    for id in registry::ids() {
        let r = run(&["explain", id]);
        assert_eq!(r.code, 0);
        let mut from = 0;
        for section in [
            "## What it checks",
            "## Why it matters",
            "## What it cannot see",
            "## How to fix",
            "## References",
        ] {
            let at = r.stdout[from..]
                .find(section)
                .unwrap_or_else(|| panic!("explain {id} lacks {section}"));
            from += at;
        }
    }
}

#[test]
fn explain_answers_typos_error_codes_and_no_argument() {
    let typo = run(&["explain", "block-public-acess"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("did you mean 'block-public-access'"),
        "{}",
        typo.stderr
    );
    assert_eq!(typo.stderr.trim().lines().count(), 1, "{}", typo.stderr);
    let code = run(&["explain", "AccessControlListNotSupported"]);
    assert_eq!(code.code, 0, "{}", code.stderr);
    assert!(
        code.stdout.contains("`object-ownership`"),
        "{}",
        code.stdout
    );
    assert!(code.stdout.contains("--only object-ownership,dry-run-put"));
    let catalog = run(&["explain"]);
    assert_eq!(catalog.code, 0, "{}", catalog.stderr);
    for id in registry::ids() {
        assert!(catalog.stdout.contains(id), "{id} missing from the catalog");
    }
}

#[test]
fn list_json_lists_every_check() {
    let r = run(&["list", "--format", "json"]);
    assert_eq!(r.code, 0);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
    let ids: Vec<&str> = listed.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, registry::ids());
    for check in &listed {
        for key in ["id", "title", "category", "online", "requires"] {
            assert!(check.get(key).is_some(), "{key} in {check}");
        }
    }
    let table = run(&["list"]);
    for id in registry::ids() {
        assert!(table.stdout.contains(id));
    }
}

#[test]
fn readme_catalog_matches_the_registry() {
    let readme =
        std::fs::read_to_string(support::repo_root().join("README.md")).expect("README.md");
    let catalog = readme
        .split("## Check catalog")
        .nth(1)
        .expect("README has a '## Check catalog' section");
    let catalog = catalog.split("\n## ").next().unwrap();
    let documented: Vec<&str> = catalog
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    assert_eq!(
        documented,
        registry::ids(),
        "the README's catalog lists the checks in registry order"
    );
    for check in registry::ALL {
        let info = check.info();
        let row = catalog
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", info.id)))
            .unwrap();
        assert!(
            row.contains(info.title),
            "README row for {} should carry its title '{}'",
            info.id,
            info.title
        );
        assert!(
            row.contains(if info.online { "online" } else { "offline" }),
            "README row for {} says online/offline",
            info.id
        );
    }
}
