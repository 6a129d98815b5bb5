//! The response headers Node's `cors` package (2.8.x, run by engine.io as a middleware) writes.
//!
//! ```text
//! any request   Access-Control-Allow-Origin: * | <origin> (+ Vary: Origin unless "*")
//!               [Access-Control-Allow-Credentials: true]
//! OPTIONS       204, the above, Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE,
//!               Vary: Access-Control-Request-Headers,
//!               [Access-Control-Allow-Headers: <Access-Control-Request-Headers, echoed>],
//!               Content-Length: 0; the request goes no further.
//! ```
//! Observed against engine.io 6.6.12 with `cors: {origin: "*"}` (observed Node behaviour §4 #9).

use crate::config::{CorsConfig, CorsOrigin};

/// The headers for a non-preflight response, in the order `cors` sets them.
pub fn simple_headers(
    cfg: &CorsConfig,
    request_origin: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut h = origin_headers(cfg, request_origin);
    if cfg.credentials {
        h.push(("Access-Control-Allow-Credentials", "true".to_owned()));
    }
    h
}

/// The headers of the 204 preflight answer, in the order `cors` sets them.
pub fn preflight_headers(
    cfg: &CorsConfig,
    request_origin: Option<&str>,
    request_headers: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut h = simple_headers(cfg, request_origin);
    h.push((
        "Access-Control-Allow-Methods",
        "GET,HEAD,PUT,PATCH,POST,DELETE".to_owned(),
    ));
    h.push(("Vary", "Access-Control-Request-Headers".to_owned()));
    if let Some(requested) = request_headers.filter(|s| !s.is_empty()) {
        h.push(("Access-Control-Allow-Headers", requested.to_owned()));
    }
    h.push(("Content-Length", "0".to_owned()));
    h
}

fn origin_headers(cfg: &CorsConfig, request_origin: Option<&str>) -> Vec<(&'static str, String)> {
    match &cfg.origin {
        CorsOrigin::Any => vec![("Access-Control-Allow-Origin", "*".to_owned())],
        CorsOrigin::Exact(o) => {
            vec![
                ("Access-Control-Allow-Origin", o.clone()),
                ("Vary", "Origin".to_owned()),
            ]
        }
        CorsOrigin::Reflect => {
            let mut h = Vec::new();
            if let Some(o) = request_origin {
                h.push(("Access-Control-Allow-Origin", o.to_owned()));
            }
            h.push(("Vary", "Origin".to_owned()));
            h
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_origin_as_observed() {
        let cfg = CorsConfig::any();
        assert_eq!(
            simple_headers(&cfg, Some("http://x.com")),
            vec![("Access-Control-Allow-Origin", "*".into())]
        );
        let names: Vec<_> = preflight_headers(&cfg, None, Some("content-type,x-foo"))
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        assert_eq!(
            names,
            [
                "Access-Control-Allow-Origin: *",
                "Access-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,DELETE",
                "Vary: Access-Control-Request-Headers",
                "Access-Control-Allow-Headers: content-type,x-foo",
                "Content-Length: 0",
            ]
        );
    }
}
