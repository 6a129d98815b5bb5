//! The HTML reports in a real browser (headless Chromium, driven over the DevTools protocol):
//! a small matrix of two columns is made from real runs, the reference server (in-process)
//! and the Node harness with an injected fault (`rooms-deliver-twice`, fixtures/node/FAULTS.md)
//! so that a case fails; then the matrix index and the failing case's page are loaded from
//! `file://` and checked as a reader meets them: nothing logged as an error or a warning, no
//! script, every link resolves (the file exists, and the element its `#fragment` names), the
//! matrix grid has a cell per case and column, and the sequence diagram is laid out with its
//! arrows and the deviation drawn. Screenshots of both pages are saved under the target
//! directory (`<target>/tmp/browser-shots/`, printed).
//!
//! Without Chromium (or Node) the test says SKIPPED and passes, except in CI (`CI` set), where
//! `.ci/run` installs Chromium and a skip would hide the check: there it fails.

mod cdp;
use sio_test_support as support;

use clap::Parser;
use serde_json::json;
use sio_conformance::cli::{Args, run};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The cases of the small matrix: a handshake, a connect, and the rooms case the fault breaks.
const CASES: &str = "eio.handshake.polling.open,sio.connect.main,sio.rooms.several-rooms-once";
/// The case that fails on the faulty column.
const FAILING: &str = "sio.rooms.several-rooms-once";

/// A fresh directory under the system temp dir, removed when dropped.
fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("sio-browser-{name}-"))
        .tempdir()
        .expect("temp dir")
}

/// One run of the runner's command line, bounded.
async fn cli(args: &[&str]) -> u8 {
    let args = Args::try_parse_from(std::iter::once("sio-conformance").chain(args.iter().copied()))
        .expect("flags parse");
    tokio::time::timeout(Duration::from_secs(60), run(args))
        .await
        .expect("the run ends within 60 s")
}

/// `file:///a/b%20c.html#x` → (`/a/b c.html`, `x`).
fn file_url_path(url: &str) -> Option<(PathBuf, String)> {
    let rest = url.strip_prefix("file://")?;
    let (path, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                decoded.push(b);
                i += 3;
            }
            (b, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    Some((
        PathBuf::from(String::from_utf8(decoded).ok()?),
        fragment.to_string(),
    ))
}

/// Every link of the page, resolved by the browser; each must be a file that exists under
/// `root`, and a `#fragment` must name an element of it. Returns how many were checked.
async fn check_links(browser: &mut cdp::Browser, session: &str, root: &Path) -> usize {
    let hrefs = browser
        .eval(
            session,
            "[...document.querySelectorAll('a[href]')].map(a => a.href)",
        )
        .await;
    let hrefs: Vec<String> = serde_json::from_value(hrefs).expect("a list of links");
    for href in &hrefs {
        let (path, fragment) =
            file_url_path(href).unwrap_or_else(|| panic!("a link that leaves the site: {href}"));
        assert!(path.starts_with(root), "{href} leaves the site");
        assert!(path.is_file(), "{href}: no such file");
        if !fragment.is_empty() {
            let text = std::fs::read_to_string(&path).expect("read the linked page");
            assert!(
                text.contains(&format!("id=\"{fragment}\"")),
                "{href}: no element with id {fragment}"
            );
        }
    }
    hrefs.len()
}

#[test]
fn the_matrix_and_a_failing_case_read_well_in_chromium() {
    let started = Instant::now();
    let Some(chromium) = cdp::find_chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test, but no Chromium was found (.ci/run installs it)"
        );
        eprintln!("SKIPPED: no Chromium on the PATH (set CHROMIUM=/path/to/chromium)");
        return;
    };
    let reference = support::serve_router(sio_contract_server::router);
    let Some((_faulty, faulty)) = support::start_node_with(
        &["--import", "./faults/preload.mjs", "harness.mjs"],
        &[("SIO_NODE_FAULT", "rooms-deliver-twice")],
    ) else {
        return;
    };
    let site = temp_dir("matrix");
    let profile = temp_dir("profile");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // Two real runs, then the matrix over them.
        for (dir, url, code) in [("reference", &reference, 0), ("faulty", &faulty, 1)] {
            let out = site.path().join(dir);
            let got = cli(&[
                "--url",
                url,
                "--capability",
                "all",
                "--filter",
                CASES,
                "--quiet",
                "--html",
                out.to_str().expect("utf-8 temp path"),
            ])
            .await;
            assert_eq!(got, code, "the {dir} run's exit code");
        }
        let manifest = json!({
            "title": "browser test matrix",
            "generated": "today",
            "command": "the browser test",
            "columns": [
                {"id": "reference", "name": "reference server", "versions": "this commit",
                 "site": "reference", "third_party": false, "wall_ms": 1},
                {"id": "faulty", "name": "Node harness, rooms-deliver-twice", "versions": "socket.io 4.8.4",
                 "site": "faulty", "third_party": true, "wall_ms": 1},
                {"id": "missing", "name": "a column whose run failed", "versions": "",
                 "site": "missing", "third_party": true, "error": "could not start", "wall_ms": 1}
            ]
        });
        std::fs::write(site.path().join("matrix.json"), manifest.to_string()).expect("matrix.json");
        // As `cargo xtask matrix` leaves it beside a column's pages: the matrix links it.
        std::fs::write(site.path().join("faulty/server.log"), "sio-node-fault: injected\n")
            .expect("server.log");
        assert_eq!(
            cli(&["--matrix", site.path().to_str().expect("utf-8")]).await,
            0
        );

        let mut browser = cdp::Browser::launch(&chromium, profile.path()).await;
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-shots");
        std::fs::create_dir_all(&shots).expect("screenshot dir");

        // The matrix.
        let index = site.path().join("index.html");
        let page = browser
            .open(&format!("file://{}", index.display()), 1400, 900)
            .await;
        let checked = check_links(&mut browser, &page, site.path()).await;
        let shape = browser
            .eval(
                &page,
                "({scripts: document.scripts.length, \
                   cells: document.querySelectorAll('table.grid td.cell').length, \
                   links: document.querySelectorAll('table.grid td.cell a[href*=\"/cases/\"]').length, \
                   fails: document.querySelectorAll('table.grid td.cell .v-fail').length, \
                   width: document.querySelector('table.grid').getBoundingClientRect().width})",
            )
            .await;
        assert_eq!(shape["scripts"], 0, "no script: {shape}");
        // 3 cases × 3 columns, the failed column's cells empty.
        assert_eq!(shape["cells"], 9, "{shape}");
        assert_eq!(shape["links"], 6, "{shape}");
        assert_eq!(shape["fails"], 1, "{shape}");
        assert!(shape["width"].as_f64().unwrap_or(0.0) > 300.0, "{shape}");
        assert!(checked >= 12, "only {checked} links on the matrix");
        let log_links = browser
            .eval(
                &page,
                "document.querySelectorAll('a[href$=\"faulty/server.log\"]').length",
            )
            .await;
        assert_eq!(log_links, 1, "the server log is linked");
        let shot = browser.screenshot(&page, 1400).await;
        assert!(shot.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(shots.join("matrix.png"), &shot).expect("write matrix.png");
        assert_eq!(browser.complaints(&page), Vec::<String>::new());

        // The failing case, reached from the matrix's failing cell.
        let failing = site.path().join("faulty/cases").join(format!("{FAILING}.html"));
        assert!(failing.is_file());
        let page = browser
            .open(&format!("file://{}", failing.display()), 1400, 900)
            .await;
        check_links(&mut browser, &page, site.path()).await;
        let diagram = browser
            .eval(
                &page,
                "(() => { const svg = document.querySelector('.diagram svg'); \
                   const box = svg.getBoundingClientRect(); \
                   return {scripts: document.scripts.length, width: box.width, height: box.height, \
                           arrows: svg.querySelectorAll('g.arrow').length, \
                           drawn: [...svg.querySelectorAll('g.arrow > line')] \
                                  .filter(e => e.getBBox().width > 100).length, \
                           deviations: svg.querySelectorAll('g.deviation').length, \
                           up: document.querySelectorAll('a[href=\"../../index.html\"]').length, \
                           verdict: document.querySelector('h1 .v').textContent}; })()",
            )
            .await;
        assert_eq!(diagram["scripts"], 0, "{diagram}");
        assert_eq!(diagram["verdict"], "fail", "{diagram}");
        assert_eq!(diagram["up"], 1, "the case page links up to the matrix: {diagram}");
        assert!(diagram["width"].as_f64().unwrap_or(0.0) > 600.0, "{diagram}");
        assert!(diagram["height"].as_f64().unwrap_or(0.0) > 200.0, "{diagram}");
        let arrows = diagram["arrows"].as_u64().unwrap_or(0);
        assert!(arrows >= 6, "{diagram}");
        // Every arrow has a shaft as wide as the lanes are apart.
        assert!(diagram["drawn"].as_u64().unwrap_or(0) >= arrows, "{diagram}");
        assert!(diagram["deviations"].as_u64().unwrap_or(0) >= 1, "{diagram}");
        let shot = browser.screenshot(&page, 2400).await;
        std::fs::write(shots.join("failing-case.png"), &shot).expect("write failing-case.png");
        assert_eq!(browser.complaints(&page), Vec::<String>::new());
        eprintln!(
            "browser test: screenshots in {} ({:?})",
            shots.display(),
            started.elapsed()
        );
    });
}
