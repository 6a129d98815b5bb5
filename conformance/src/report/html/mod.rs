//! The HTML report (`--html DIR`): a static site that reads from `file://`, with no script, no
//! CDN and no framework.
//!
//! | file | what |
//! |---|---|
//! | `index.html` | the run (target, tier, capabilities, timings, counts, duration), the findings, every case grouped by area |
//! | `cases/<id>.html` | one case: what it checks, expected against received, the sequence diagram, the wire log |
//! | `results.json` | the JSON report the pages were rendered from (`--html-from` renders them again) |
//!
//! The pages are always rendered from the JSON report ([`model`]), so a run and a later
//! `--html-from results.json` give the same site. Modules: [`escape`] (text, attributes, file
//! names), [`index`] (the summary page), [`page`] (a case page), [`svg`] (the sequence diagram),
//! [`matrix`] (several runs side by side: `--matrix DIR`, the site of `cargo xtask matrix`).
//! Every page carries its own small style sheet, so a single page can be mailed or attached.

pub mod escape;
pub mod index;
pub mod matrix;
pub mod model;
pub mod page;
pub mod svg;

use escape::text;
use model::Site;
use std::path::Path;

/// Writes the site for a finished run: `results.json` (the JSON report), then the pages.
///
/// Only what the JSON holds is shown (the rerun command included), nothing the live run knows
/// besides: a site regenerated from `results.json` is byte for byte this one.
pub fn write(report: &super::Report, dir: &Path) -> std::io::Result<usize> {
    write_from_json(&super::json::render(report), dir).map_err(std::io::Error::other)
}

/// Writes the site for a JSON report read back from a file (`--html-from`).
pub fn write_from_json(json: &str, dir: &Path) -> Result<usize, String> {
    let site = Site::from_json(json)?;
    write_site(&site, json, dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Writes `results.json`, `index.html` and one page per case; returns the number of pages.
///
/// Pages of a previous run in `cases/` are left alone: a case filtered out of this run keeps an
/// old page, but the index links only this run's cases, so it is never reached.
pub fn write_site(site: &Site, json: &str, dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir.join("cases"))?;
    // Not rewritten when it is the very file the site is regenerated from.
    let results = dir.join("results.json");
    if std::fs::read_to_string(&results).ok().as_deref() != Some(json) {
        std::fs::write(&results, json)?;
    }
    std::fs::write(dir.join("index.html"), index::render(site))?;
    for case in &site.cases {
        let name = format!("{}.html", escape::file_name(&case.id));
        std::fs::write(dir.join("cases").join(name), page::render(site, case))?;
    }
    Ok(site.cases.len() + 1)
}

/// The style sheet every page carries. Verdict colours come with the verdict's name in text
/// (colour is never the only signal) and keep a contrast of at least 4.5:1.
const STYLE: &str = "
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:1.5em;margin:.2em 0}h1 code{font-size:1em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{white-space:pre-wrap;word-break:break-all;margin:0}
table{border-collapse:collapse;width:100%;margin:.4em 0}
th,td{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f6f8fa}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.v{display:inline-block;padding:0 .5em;border-radius:1em;font-weight:600;white-space:nowrap;border:1px solid}
.v-pass{background:#dafbe1;color:#116329;border-color:#4ac26b}
.v-fail{background:#ffebe9;color:#a40e26;border-color:#ff8182}
.v-non-strict{background:#fff1e5;color:#953800;border-color:#fb8f44}
.v-unsupported{background:#f6f8fa;color:#57606a;border-color:#d0d7de}
.v-error{background:#fbefff;color:#6e40c9;border-color:#c297ff}
.v-flaky{background:#fff8c5;color:#7d4e00;border-color:#d4a72c}
.v-blocked{background:#ddf4ff;color:#0a3069;border-color:#54aeff}
.counts .v{margin-right:.4em}
details.area{margin:.3em 0}details.area>summary{cursor:pointer;font-weight:600}
.finding{border-left:4px solid #cf222e;padding:.2em .8em;margin:.8em 0;background:#fffafa}
.finding.should{border-left-color:#fb8f44}
.xr td{width:50%}
.wire td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.wire tr.polling td:first-child{border-left:4px solid #0969da}
.wire tr.websocket td:first-child{border-left:4px solid #1a7f37}
.wire tr.out{background:#f6f8fa}.wire tr.in{background:#fff}.wire tr.note{color:#57606a;font-style:italic}
.wire tr.deviation{background:#ffebe9}.wire td.dir{white-space:nowrap}
.view{color:#57606a}
.diagram{overflow-x:auto;border:1px solid #d0d7de;padding:4px}
.legend span{margin-right:1.2em}
.muted{color:#57606a}
";

/// A complete page around its body.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"sio-conformance\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        text(title)
    )
}

/// A verdict as a coloured badge that says its name (`fail (expected)` under a judgement).
fn badge(verdict: &str, suffix: &str) -> String {
    // The class is built from a known name only: anything else is `unsupported`-grey.
    let class = match verdict {
        "pass" | "fail" | "non-strict" | "unsupported" | "error" | "flaky" | "blocked" => verdict,
        _ => "unsupported",
    };
    format!(
        r#"<span class="v v-{class}">{}{}</span>"#,
        text(verdict),
        text(suffix)
    )
}

/// The link to a case page from a page `depth` levels below the root.
fn case_href(id: &str, depth: usize) -> String {
    let up = "../".repeat(depth);
    format!("{up}cases/{}.html", escape::file_name(id))
}

/// Lines as a `<pre>` block, or a dash when there are none.
fn lines(items: &[String]) -> String {
    if items.is_empty() {
        return "<span class=\"muted\">(none)</span>".to_string();
    }
    format!("<pre>{}</pre>", text(&items.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A report whose every string is hostile: markup, quotes, control characters, an id that
    /// tries to leave `cases/`.
    fn hostile() -> String {
        let evil = "</pre><script>alert('x')</script>\"&\u{0}\u{1b}[31m";
        json!({
            "target": format!("http://127.0.0.1:1/{evil}"),
            "tier": "none",
            "capabilities": [evil],
            "summary": {"total": 2, "fail": 1, "blocked": 1},
            "findings": [{
                "rule": "sio.connect.reply", "level": "MUST", "title": evil,
                "case": "../up", "step": evil, "expected": [evil], "received": [evil],
                "cases": ["../up", "x.<b>"]
            }],
            "index": [{"id": "../up", "expected": evil}],
            "cases": [
                {
                    "id": "../up", "title": evil, "level": "MUST", "tags": [evil],
                    "spec": {"document": evil, "section": evil}, "verdict": "fail",
                    "failures": [{"kind": "assertion", "step": evil, "expected": [evil],
                                  "received": [format!("text {evil}")],
                                  "rule": "sio.connect.reply", "note": evil}],
                    "transcript": [
                        {"t_ms": 1.0, "conn": evil, "transport": "websocket", "dir": "in",
                         "what": "text", "text": evil, "headers": [[evil, evil]]},
                        {"t_ms": 2.0, "conn": "ws#1", "transport": "websocket", "dir": "in",
                         "what": "binary", "hex": "00ff3c"}
                    ]
                },
                {"id": "x.<b>", "title": "t", "level": "SHOULD", "verdict": evil,
                 "blocked_by": format!("sio.connect.reply (reported by ../up)"), "transcript": []}
            ]
        })
        .to_string()
    }

    #[test]
    fn nothing_a_server_sends_becomes_markup() {
        let site = Site::from_json(&hostile()).expect("a report");
        let index = index::render(&site);
        let pages: Vec<String> = site.cases.iter().map(|c| page::render(&site, c)).collect();
        for html in std::iter::once(&index).chain(&pages) {
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("</pre><script"));
            assert!(!html.contains('\u{0}') && !html.contains('\u{1b}'));
            assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(&#39;x&#39;)"));
        }
        // A verdict that is not one is shown as text, never used as a class as it is.
        assert!(pages[1].contains(r#"<span class="v v-unsupported">&lt;/pre&gt;"#));
        // Links use the escaped file names.
        assert!(index.contains(r#"href="cases/_2e._2fup.html""#));
        assert!(index.contains(r#"href="cases/x._3cb_3e.html""#));
        assert!(pages[1].contains(r#"href="../cases/_2e._2fup.html""#));
        // The failure's received frame is the deviation.
        assert!(pages[0].contains(r#"class="arrow in websocket deviation""#));
        assert!(pages[0].contains("hex:00ff3c"));
    }

    #[test]
    fn the_site_is_written_with_its_json_and_a_page_per_case() {
        let dir = std::env::temp_dir().join(format!("sio-html-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let json = hostile();
        assert_eq!(write_from_json(&json, &dir), Ok(3));
        assert_eq!(
            std::fs::read_to_string(dir.join("results.json")).ok(),
            Some(json)
        );
        assert!(dir.join("cases/_2e._2fup.html").is_file());
        assert!(dir.join("cases/x._3cb_3e.html").is_file());
        assert_eq!(
            std::fs::read_dir(dir.join("cases")).map(|d| d.count()).ok(),
            Some(2)
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert!(write_from_json("{}", &dir).is_err());
        assert!(write_from_json("not json", &dir).is_err());
    }
}
