//! The behaviour catalogue as a document (`sio-conformance --catalogue`, committed as
//! conformance/CATALOGUE.md and kept in step by a test): every rule the suite checks, with its
//! stable id, its level, where it comes from, what the official Node server does and the cases
//! that check it.
//!
//! Three kinds of rule, one table each:
//! - the catalogue's shared rules ([`super::RULES`]), which findings cite and under which the
//!   cases that meet them are "blocked by" one finding;
//! - the behaviours of the official server that cases cite by tag ([`super::behaviours`]);
//! - every case, which is the rule its id names: its level, its source (the spec section,
//!   the official suite's test, the contract section, or the transcript it replays) and
//!   Node's recorded verdict (conformance/results/node.json).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::behaviours::{BEHAVIOURS, tags_in};
use crate::case::{Case, NOTES};
use crate::judgement::Judgements;

/// A table cell: `|` escaped, line breaks joined.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The cases that cite each behaviour tag.
fn citations(cases: &[Case]) -> BTreeMap<String, Vec<&'static str>> {
    let mut cited: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for case in cases.iter().filter(|c| c.spec.document == NOTES) {
        for tag in tags_in(case.spec.section) {
            cited.entry(tag).or_default().push(case.id);
        }
    }
    cited
}

/// The behaviour tags cited by some case that the catalogue does not describe (must be none).
pub fn undescribed_tags(cases: &[Case]) -> Vec<String> {
    citations(cases)
        .into_keys()
        .filter(|tag| super::behaviours::behaviour(tag).is_none())
        .collect()
}

/// The whole document. `node`: Node's judgement file, for its verdict per case.
pub fn render(cases: &[Case], node: Option<&Judgements>) -> String {
    let mut md = String::new();
    md.push_str(
        "# Behaviour catalogue\n\n\
         <!-- Generated from the suite (conformance/src/catalogue/); do not edit by hand. \
         Regenerate with `SIO_CATALOGUE_BLESS=1 cargo test -p sio-conformance --test catalogue`, \
         or print it with `sio-conformance --catalogue`. -->\n\n\
         Every rule the suite checks, with its stable id, its level, its source and what the \
         official Node server (engine.io 6.6.12, socket.io 4.8.4) does. Findings and reports cite \
         these ids. Levels: a MUST deviation fails a case; a SHOULD deviation is `non-strict` \
         (a failure only with `--strict`).\n\n",
    );
    shared_rules(&mut md);
    behaviours(&mut md, cases);
    every_case(&mut md, cases, node);
    md
}

fn shared_rules(md: &mut String) {
    md.push_str(
        "## Shared rules\n\n\
         Rules that many cases meet on their way to what they are about (the open packet, the \
         CONNECT reply, the heartbeat's timing) or that a whole family of cases shares. A \
         deviation from one is reported once, as a finding under the rule's id; the other cases \
         that meet it are `blocked` by that finding instead of failing on their own.\n\n\
         | id | level | rule | source | Node | checked by |\n|---|---|---|---|---|---|\n",
    );
    for rule in super::RULES {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} | {} |",
            rule.id,
            rule.level.name(),
            cell(rule.title),
            cell(rule.source),
            cell(rule.node),
            cell(rule.checked_by)
        );
    }
    md.push('\n');
}

fn behaviours(md: &mut String, cases: &[Case]) {
    let cited = citations(cases);
    md.push_str(
        "## Behaviours of the official server\n\n\
         What the official Node server does, as cases cite it in their source (`observed Node \
         behaviour §4 #17; §1.7`): `§1.n` and `§2.n` are the wire rules of Engine.IO v4 and \
         Socket.IO v5 as Node applies them, `§4 #n` a behaviour observed on the wire (its \
         transcripts in fixtures/transcripts have the `covers` tag `notes-4.n`), `§5` connection \
         state recovery.\n\n\
         | tag | behaviour | what Node does | cases that cite it |\n|---|---|---|---|\n",
    );
    for b in BEHAVIOURS {
        let ids = cited.get(b.tag).map_or_else(
            || "(transcripts only)".to_owned(),
            |ids| {
                ids.iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            b.tag,
            cell(b.title),
            cell(b.node),
            ids
        );
    }
    md.push('\n');
}

fn every_case(md: &mut String, cases: &[Case], node: Option<&Judgements>) {
    let verdicts: BTreeMap<&str, &str> = node
        .map(|j| {
            j.entries
                .iter()
                .map(|e| (e.id.as_str(), e.verdict.name()))
                .collect()
        })
        .unwrap_or_default();
    let _ = write!(
        md,
        "## Every case\n\n\
         Each case is the rule its id names ({} cases: {} written by hand, {} replays of the \
         oracle's transcripts). Source: the spec section, the official suite's test (the \
         suite's own test, as its authors named it), a section of fixtures/CONTRACT.md, a \
         behaviour tag above, or the transcript a replay re-enacts. Node: the official server's \
         recorded verdict (conformance/results/node.json); a case Node does not pass says why \
         there.\n\n\
         | id | level | what it checks | source | Node |\n|---|---|---|---|---|\n",
        cases.len(),
        cases
            .iter()
            .filter(|c| !c.id.starts_with("replay."))
            .count(),
        cases.iter().filter(|c| c.id.starts_with("replay.")).count(),
    );
    for case in cases {
        let mut source = if case.spec.section.is_empty() {
            case.spec.document.to_owned()
        } else {
            format!("{}, {}", case.spec.document, case.spec.section)
        };
        if let Some(official) = &case.official {
            let _ = write!(source, "; official test: {}", official.full());
        }
        let verdict = verdicts.get(case.id).copied().unwrap_or("not recorded");
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} |",
            case.id,
            case.level.name(),
            cell(case.title),
            cell(&source),
            verdict
        );
    }
}
