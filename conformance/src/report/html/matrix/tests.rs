use super::explain::shape;
use super::page::root_causes;
use super::*;

#[test]
fn shapes_drop_ids_numbers_and_string_contents() {
    assert_eq!(
        shape(r#"status 400 body {"code":"1","message":"Session ID unknown"}"#),
        shape(r#"status 400 body {"code":"5","message":"Unsupported protocol version"}"#)
    );
    assert_ne!(
        shape(r#"status 400 body {"code":"1","message":"x"}"#),
        shape(r#"status 400 body {"code":1,"message":"x"}"#)
    );
    assert_eq!(shape("close 1002"), shape("close 1007"));
    assert_eq!(shape("text 40{sid:Q-p7PdOSpEvMpN65}"), "text N{sid:ID}");
    // An unterminated quote ends the line.
    assert_eq!(shape(r#"text "abc"#), r#"text "S""#);
}

fn case(id: &str, verdict: &str, expected: &str, received: &str) -> CaseView {
    CaseView {
        id: id.into(),
        verdict: verdict.into(),
        failures: vec![super::super::model::FailureView {
            step: "s".into(),
            expected: vec![expected.into()],
            received: vec![received.into()],
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn every_cell_that_is_not_pass_has_an_entry() {
    let mut run = Site {
        cases: vec![
            case("a.one", "pass", "", ""),
            case("a.two", "fail", "x", "y"),
            case("b.one", "non-strict", "close 1002", "close 1005"),
            case("a.three", "blocked", "x", "y"),
            case("b.two", "non-strict", "close 1007", "close 1005"),
            case("b.three", "non-strict", "status 204", "status 200"),
            CaseView {
                id: "c.one".into(),
                verdict: "unsupported".into(),
                skipped_because: Some("needs recovery (tier full)".into()),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    run.findings = vec![super::super::model::Finding {
        rule: "r".into(),
        case: "a.two".into(),
        cases: vec!["a.two".into(), "a.three".into()],
        ..Default::default()
    }];
    assert_eq!(explain(&run, &run.cases[0]), None);
    assert_eq!(explain(&run, &run.cases[1]), Some(Explanation::Finding(0)));
    assert_eq!(explain(&run, &run.cases[3]), Some(Explanation::Finding(0)));
    assert_eq!(explain(&run, &run.cases[2]), Some(Explanation::Deviation));
    let groups = deviation_groups(&run);
    let sizes: Vec<usize> = groups.iter().map(|(_, cases)| cases.len()).collect();
    assert_eq!(sizes, vec![2, 1], "close codes together, the status apart");
    assert_eq!(root_causes(&run), 3);
    // Rendered: every non-pass cell's `why` link names an anchor that the page defines.
    let m = Matrix {
        title: "t".into(),
        columns: vec![Column {
            id: "x".into(),
            name: "x".into(),
            site: "x".into(),
            third_party: true,
            run: Some(run),
            ..Default::default()
        }],
        ..Default::default()
    };
    let page = render(&m);
    let whys: Vec<&str> = page
        .split("class=\"why\" href=\"#")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap_or(0)])
        .collect();
    assert_eq!(whys.len(), 6, "six cells that are not pass");
    // One header row per area, though `b.one` comes between two `a.*` cases.
    assert_eq!(page.matches("<tr class=\"area\"").count(), 3);
    for anchor in whys {
        assert!(page.contains(&format!("id=\"{anchor}\"")), "{anchor}");
    }
    assert!(
        summary(&m).contains("| 0 | 1 ✓ 1 ✗ 3 ! 1 ⊘ 1 – | 3 |"),
        "{}",
        summary(&m)
    );
}

#[test]
fn every_page_of_a_column_links_up_to_the_matrix() {
    let dir = std::env::temp_dir().join(format!("sio-matrix-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = r#"{"target":"http://127.0.0.1:1","cases":[{"id":"a.one","verdict":"pass"}]}"#;
    assert_eq!(super::super::write_from_json(run, &dir.join("col")), Ok(2));
    let before = std::fs::read_to_string(dir.join("col/index.html")).unwrap_or_default();
    assert!(!before.contains("↑"), "a run alone links up to nothing");
    std::fs::write(
        dir.join("matrix.json"),
        r#"{"title":"The matrix","columns":[{"id":"c","name":"C","site":"col"}]}"#,
    )
    .ok();
    assert_eq!(write(&dir), Ok(1));
    let index = std::fs::read_to_string(dir.join("col/index.html")).unwrap_or_default();
    let page = std::fs::read_to_string(dir.join("col/cases/a.one.html")).unwrap_or_default();
    assert!(
        index.contains(r#"<a href="../index.html">↑ The matrix</a>"#),
        "{index}"
    );
    assert!(
        page.contains(r#"<a href="../../index.html">↑ The matrix</a>"#),
        "{page}"
    );
    assert!(page.contains(r#"<a href="../index.html">← every case of this run</a>"#));
    // The column's data is left as it was.
    assert_eq!(
        std::fs::read_to_string(dir.join("col/results.json"))
            .ok()
            .as_deref(),
        Some(run)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
