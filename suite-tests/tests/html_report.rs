//! The HTML report end to end: a small selection of cases run against the reference server's
//! contract router, served in-process, with `--html DIR`; then the site is checked (the index
//! links a page for every case, every page exists, names its case, has a sequence diagram and
//! balanced tags) and regenerated with `--html-from` into the same pages. The reference server
//! passes, so a failure is made by editing its `results.json` the way a failing run writes it (a
//! failure whose received frame is on the wire) and rendered with `--html-from`: its deviation
//! is marked.

use sio_test_support as support;

use clap::Parser;
use sio_conformance::cli::{Args, run};
use std::path::Path;

/// A fresh directory under the system temp dir, removed when dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("sio-html-{name}-"))
        .tempdir()
        .expect("temp dir")
}

fn cli(args: &[&str]) -> u8 {
    let args = Args::try_parse_from(std::iter::once("sio-conformance").chain(args.iter().copied()))
        .expect("flags parse");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // Bounded: a hung run fails the test instead of hanging it.
    rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(60), run(args))
            .await
            .expect("the run ends within 60 s")
    })
}

/// Tags open and close in order (void elements and `<x/>` close themselves); `<style>` is
/// skipped whole (CSS has `>`). Our pages escape every `<` and `>` of content, so a plain scan
/// is exact for them.
fn balanced(html: &str) -> Result<(), String> {
    const VOID: [&str; 4] = ["meta", "br", "hr", "img"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let end = rest.find('>').ok_or("a `<` without `>`")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() {
            return Err(format!("not a tag: <{tag}>"));
        }
        if name == "style" {
            let close = rest.find("</style>").ok_or("unclosed <style>")?;
            rest = &rest[close + "</style>".len()..];
            continue;
        }
        if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

/// Every `href="cases/…"` of the index.
fn case_links(index: &str) -> Vec<String> {
    index
        .split("href=\"cases/")
        .skip(1)
        .map(|s| s[..s.find('"').expect("closing quote")].to_string())
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_run_writes_a_site_that_links_every_case_and_regenerates_from_its_json() {
    let started = std::time::Instant::now();
    let url = support::serve_router(sio_contract_server::router);
    let site = temp_dir("run");
    let dir = site.path().to_str().expect("utf-8 temp path");
    let code = cli(&[
        "--url",
        &url,
        "--capability",
        "all",
        "--filter",
        "eio.handshake.polling.*,sio.rooms.except,sio.rooms.to-others,replay.sio.rooms.except",
        "--quiet",
        "--html",
        dir,
    ]);
    assert_eq!(code, 0, "the reference server passes");

    let json: serde_json::Value =
        serde_json::from_str(&read(&site.path().join("results.json"))).expect("results.json");
    let ids: Vec<&str> = json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert!(ids.len() >= 4, "{ids:?}");
    let index = read(&site.path().join("index.html"));
    balanced(&index).expect("index.html is balanced");
    let links = case_links(&index);
    for id in &ids {
        let name = format!("{id}.html");
        assert!(links.contains(&name), "the index links {name}");
        let page = read(&site.path().join("cases").join(&name));
        assert!(page.contains(id), "{name} names its case");
        assert!(page.contains("<svg "), "{name} has a sequence diagram");
        balanced(&page).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for link in &links {
        assert!(
            site.path().join("cases").join(link).is_file(),
            "{link} exists"
        );
    }
    // --html-from renders the same pages from results.json, without a server.
    let again = temp_dir("again");
    let from = site.path().join("results.json");
    assert_eq!(
        cli(&[
            "--html-from",
            from.to_str().expect("utf-8"),
            "--html",
            again.path().to_str().expect("utf-8"),
        ]),
        0
    );
    assert_eq!(read(&again.path().join("index.html")), index);
    for id in &ids {
        let name = format!("cases/{id}.html");
        assert_eq!(
            read(&again.path().join(&name)),
            read(&site.path().join(&name)),
            "{name}"
        );
    }

    // A failing record, as a run against a server that ignores `except` writes it: the frame
    // the case received instead of the ack is one of its transcript's.
    let mut failing = json.clone();
    let case = failing["cases"]
        .as_array_mut()
        .expect("cases")
        .iter_mut()
        .find(|c| c["id"] == "sio.rooms.except")
        .expect("sio.rooms.except ran");
    let last_in = case["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .rev()
        .find(|e| e["dir"] == "in" && e["text"].is_string())
        .expect("a frame from the server")
        .clone();
    case["verdict"] = "fail".into();
    case["failures"] = serde_json::json!([{
        "kind": "assertion",
        "step": "broadcast ack",
        "expected": ["text 43/x,2[]"],
        "received": [format!("text {}", last_in["text"].as_str().expect("text"))],
    }]);
    let failing_json = site.path().join("failing.json");
    std::fs::write(&failing_json, failing.to_string()).expect("write");
    let failed = temp_dir("failed");
    assert_eq!(
        cli(&[
            "--html-from",
            failing_json.to_str().expect("utf-8"),
            "--html",
            failed.path().to_str().expect("utf-8"),
        ]),
        0
    );
    let page = read(&failed.path().join("cases/sio.rooms.except.html"));
    balanced(&page).expect("the failing page is balanced");
    assert!(page.contains(r#"<span class="v v-fail">fail</span>"#));
    assert!(page.contains("Expected and received (1)"));
    assert_eq!(
        page.matches(r#"<g class="arrow in websocket deviation">"#)
            .count(),
        1,
        "one arrow marked"
    );
    assert!(page.contains(r#"<tr class="in websocket deviation">"#));
    eprintln!("html report test: {:?}", started.elapsed());
}

#[test]
fn html_from_a_file_that_is_not_a_report_is_a_usage_error() {
    let dir = temp_dir("bad");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"no\":\"cases\"}").expect("write");
    let out = dir.path().join("site");
    let code = cli(&[
        "--html-from",
        bad.to_str().expect("utf-8"),
        "--html",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert!(!out.join("index.html").exists());
}
