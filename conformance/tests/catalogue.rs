//! The behaviour catalogue in the repository (conformance/CATALOGUE.md) is the one the suite
//! generates, and it leaves nothing a case cites undescribed:
//!
//! - every behaviour tag a case cites (`observed Node behaviour §4 #17; §1.7`) is described;
//! - every `notes-1.<n>`, `notes-2.<n>`, `notes-4.<n>` and `notes-5.<topic>` tag of a transcript names a
//!   described behaviour;
//! - every case has Node's recorded verdict;
//! - CATALOGUE.md matches what `sio-conformance --catalogue` prints
//!   (`SIO_CATALOGUE_BLESS=1 cargo test -p sio-conformance --test catalogue` rewrites it).

use sio_conformance::catalogue::{behaviours, document};
use sio_conformance::{cases, cli};
use std::path::PathBuf;

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_cited_behaviour_is_described() {
    let undescribed = document::undescribed_tags(&cases::all());
    assert!(
        undescribed.is_empty(),
        "cases cite behaviour tags the catalogue does not describe (conformance/src/catalogue/behaviours.rs): {undescribed:?}"
    );
}

#[test]
fn every_behaviour_a_transcript_covers_is_described() {
    let dir = conformance_dir().join("../fixtures/transcripts");
    let mut missing = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures/transcripts") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default();
        for tag in text.split('"').filter(|t| t.starts_with("notes-")) {
            seen += 1;
            // `notes-4.17` is `§4 #17`, `notes-1.10` is `§1.10` (and `notes-2.n` `§2.n`),
            // `notes-5.<topic>` is `§5`.
            let catalogue_tag = match tag.split_once('.') {
                Some(("notes-4", n)) => format!("§4 #{n}"),
                Some(("notes-1", n)) => format!("§1.{n}"),
                Some(("notes-2", n)) => format!("§2.{n}"),
                Some(("notes-5", _)) => "§5".to_owned(),
                _ => tag.to_owned(),
            };
            if behaviours::behaviour(&catalogue_tag).is_none() {
                missing.push(tag.to_owned());
            }
        }
    }
    assert!(
        seen > 40,
        "only {seen} notes-4 tags found in {}",
        dir.display()
    );
    assert!(
        missing.is_empty(),
        "undescribed transcript tags: {missing:?}"
    );
}

#[test]
fn the_committed_catalogue_is_the_generated_one() {
    let cases = cases::all();
    let generated = cli::catalogue(&cases);
    // Every case carries Node's recorded verdict: a case missing from node.json would say so.
    assert!(
        !generated.contains("not recorded"),
        "a case has no verdict in conformance/results/node.json"
    );
    for case in &cases {
        assert!(
            generated.contains(&format!("| `{}` |", case.id)),
            "{} is missing",
            case.id
        );
    }
    let path = conformance_dir().join("CATALOGUE.md");
    if std::env::var_os("SIO_CATALOGUE_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("writing CATALOGUE.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "conformance/CATALOGUE.md is not the generated catalogue: regenerate it with \
         `SIO_CATALOGUE_BLESS=1 cargo test -p sio-conformance --test catalogue` and review the diff"
    );
}
