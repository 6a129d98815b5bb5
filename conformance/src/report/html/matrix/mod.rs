//! The implementation matrix (`--matrix DIR`): several runs side by side, one column per server,
//! rendered from their `results.json` files into one page, `DIR/index.html`, and a Markdown
//! summary, `DIR/summary.md` (for the top README).
//!
//! `DIR/matrix.json` (written by `cargo xtask matrix`, or by hand) names the columns:
//!
//! ```json
//! {"title": "…", "generated": "2026-12-03", "command": "cargo xtask matrix",
//!  "columns": [{"id": "node", "name": "Node harness", "versions": "socket.io 4.8.4, …",
//!               "site": "node", "third_party": false, "error": null, "wall_ms": 12000}]}
//! ```
//!
//! Each column's site (a plain directory name under `DIR`) is the `--html` site of its run:
//! `DIR/<site>/results.json` and its case pages, which every cell links to. They are rendered
//! again with a link up to the matrix on every page (the one thing a site inside a matrix has
//! that `--html-from` of its `results.json` alone does not). A column whose run
//! failed (`error`, or no results.json) is shown with the reason, its cells empty.
//!
//! The page: what ran (versions, tier, counts, duration, findings per column), then every case
//! grouped by area (rows) against the columns, each cell a verdict linking to that column's case
//! page, its explanation in the cell's tooltip; then, per column, the findings: the runner's
//! findings (one per root cause), each deviation no finding covers, and what was not run and
//! why, so that every cell that is not `pass` names an entry of its column's list.
//!
//! - [`explain`]: why a cell is not `pass`: its finding, or the shape of its deviation.
//! - [`page`]: the page itself (the columns table, the grid, the findings per column).
//! - [`summary`]: the Markdown summary for the README.

mod explain;
mod page;
mod summary;

use super::model::{CaseView, Site};
use serde_json::Value;
use std::path::Path;

pub use explain::{Explanation, deviation_groups, explain};
pub use page::render;
pub use summary::summary;

/// One column as `matrix.json` describes it, with its run when there is one.
#[derive(Clone, Debug, Default)]
pub struct Column {
    /// Short name (anchors, the README).
    pub id: String,
    /// Its heading.
    pub name: String,
    /// The pinned versions it ran.
    pub versions: String,
    /// The site's directory under the matrix directory.
    pub site: String,
    /// Not one of the project's own servers.
    pub third_party: bool,
    /// Why there is no (complete) run.
    pub error: Option<String>,
    /// Wall time of the column: install, start, run, stop.
    pub wall_ms: u64,
    /// The run, read from `<site>/results.json`.
    pub run: Option<Site>,
    /// The site has the server's stderr (`<site>/server.log`, written by `cargo xtask matrix`).
    pub server_log: bool,
}

/// The whole matrix.
#[derive(Clone, Debug, Default)]
pub struct Matrix {
    /// The page title.
    pub title: String,
    /// The date of the run (UTC).
    pub generated: String,
    /// The command that made it.
    pub command: String,
    /// The columns, in order.
    pub columns: Vec<Column>,
}

fn field(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// A site name must stay a single directory under the matrix directory.
fn plain_dir_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Matrix {
    /// Reads `dir/matrix.json` and every column's `results.json`.
    pub fn load(dir: &Path) -> Result<Matrix, String> {
        let path = dir.join("matrix.json");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        let entries = v["columns"]
            .as_array()
            .ok_or_else(|| format!("{}: no `columns` array", path.display()))?;
        let mut columns = Vec::new();
        for c in entries {
            let site = field(c, "site");
            if !plain_dir_name(&site) {
                return Err(format!(
                    "{}: column site {site:?} is not a plain directory name",
                    path.display()
                ));
            }
            let results = dir.join(&site).join("results.json");
            let server_log = dir.join(&site).join("server.log").is_file();
            let (run, read_error) = match std::fs::read_to_string(&results) {
                Ok(json) => match Site::from_json(&json) {
                    Ok(site) => (Some(site), None),
                    Err(e) => (None, Some(format!("{}: {e}", results.display()))),
                },
                Err(e) => (None, Some(format!("no run: {}: {e}", results.display()))),
            };
            columns.push(Column {
                id: field(c, "id"),
                name: field(c, "name"),
                versions: field(c, "versions"),
                site,
                third_party: c["third_party"].as_bool().unwrap_or(false),
                error: c["error"].as_str().map(str::to_string).or(read_error),
                wall_ms: c["wall_ms"].as_u64().unwrap_or(0),
                run,
                server_log,
            });
        }
        Ok(Matrix {
            title: field(&v, "title"),
            generated: field(&v, "generated"),
            command: field(&v, "command"),
            columns,
        })
    }

    /// Every case id of every run, in the order of the first run that has it.
    /// Grouped by area: the areas in the order their first case comes, the cases of an area in
    /// their own order (cases are registered interleaved: `eio.handshake.x` is followed by its
    /// twin `sio.engine.handshake.x`).
    fn case_ids(&self) -> Vec<(String, &CaseView)> {
        let mut ids: Vec<(String, &CaseView)> = Vec::new();
        for run in self.columns.iter().filter_map(|c| c.run.as_ref()) {
            for case in &run.cases {
                if !ids.iter().any(|(id, _)| *id == case.id) {
                    ids.push((case.id.clone(), case));
                }
            }
        }
        let mut areas: Vec<String> = Vec::new();
        for (_, case) in &ids {
            let area = case.area();
            if !areas.contains(&area) {
                areas.push(area);
            }
        }
        ids.sort_by_key(|(_, case)| areas.iter().position(|a| *a == case.area()));
        ids
    }
}

/// Writes `dir/index.html` and `dir/summary.md` from `dir/matrix.json`, and renders every
/// column's site again with links up to the matrix; returns the columns.
pub fn write(dir: &Path) -> Result<usize, String> {
    let matrix = Matrix::load(dir)?;
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    for column in &matrix.columns {
        let Some(run) = &column.run else { continue };
        let site_dir = dir.join(&column.site);
        let json = std::fs::read_to_string(site_dir.join("results.json")).map_err(io)?;
        let mut run = run.clone();
        run.enclosing = Some(matrix.title.clone());
        super::write_site(&run, &json, &site_dir).map_err(io)?;
    }
    std::fs::write(dir.join("index.html"), render(&matrix)).map_err(io)?;
    std::fs::write(dir.join("summary.md"), summary(&matrix)).map_err(io)?;
    Ok(matrix.columns.len())
}

#[cfg(test)]
mod tests;
