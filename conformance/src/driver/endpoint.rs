//! The server under test: scheme, host, port and an optional path prefix
//! (`http://host:port/prefix`, `https://…` with the `tls` feature).

use super::tls::{NOT_BUILT, Tls, Trust};
use std::fmt;

/// Where the server listens and under which path prefix its contract paths are mounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP literal, as given (used for the TCP connection and the `Host` header).
    pub host: String,
    /// TCP port (80 when the URL has none).
    pub port: u16,
    /// Path prefix without a trailing slash: `""` for a server mounted at `/`, else `/base`.
    pub prefix: String,
    /// `Some` for `https://`: how the certificate is checked ([`Endpoint::with_trust`]).
    pub tls: Option<Tls>,
}

/// Why a `--url` could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Neither `http://` nor `https://`.
    #[error("unsupported scheme in {0:?}: http:// or https:// expected")]
    Scheme(String),
    /// `https://` in a build without the `tls` feature.
    #[error("{0:?}: {NOT_BUILT}")]
    TlsNotBuilt(String),
    /// The TLS trust settings cannot be used (an unreadable `--ca-cert`).
    #[error("{0}")]
    Trust(String),
    /// The authority part is empty or the port is not a number.
    #[error("invalid host or port in {0:?}")]
    Authority(String),
    /// The URL carries a query string or a fragment.
    #[error("the URL must not carry a query or fragment: {0:?}")]
    Query(String),
}

impl Endpoint {
    /// Parses `http://host[:port][/prefix]` or `https://…` (the Mozilla roots trusted; see
    /// [`Endpoint::with_trust`] for more).
    pub fn parse(url: &str) -> Result<Endpoint, EndpointError> {
        let (rest, secure) = if let Some(rest) = url.strip_prefix("http://") {
            (rest, false)
        } else if let Some(rest) = url.strip_prefix("https://") {
            if !Tls::AVAILABLE {
                return Err(EndpointError::TlsNotBuilt(url.to_string()));
            }
            (rest, true)
        } else {
            return Err(EndpointError::Scheme(url.to_string()));
        };
        if rest.contains('?') || rest.contains('#') {
            return Err(EndpointError::Query(url.to_string()));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            // [::1]:port
            let end = v6
                .find(']')
                .ok_or_else(|| EndpointError::Authority(url.to_string()))?;
            let host = &authority[..end + 2];
            let port = authority[end + 2..].strip_prefix(':');
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(EndpointError::Authority(url.to_string()));
        }
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| EndpointError::Authority(url.to_string()))?,
            None if secure => 443,
            None => 80,
        };
        let tls = if secure {
            Some(Tls::new(Trust::default()).map_err(EndpointError::Trust)?)
        } else {
            None
        };
        Ok(Endpoint {
            host: host.to_string(),
            port,
            prefix: path.trim_end_matches('/').to_string(),
            tls,
        })
    }

    /// The same endpoint with other TLS trust settings (`--ca-cert`, `--insecure`); an error
    /// for a plain `http://` endpoint, where they would silently mean nothing.
    pub fn with_trust(mut self, trust: Trust) -> Result<Endpoint, EndpointError> {
        if self.tls.is_none() {
            return Err(EndpointError::Trust(
                "--ca-cert and --insecure only apply to https:// URLs".into(),
            ));
        }
        self.tls = Some(Tls::new(trust).map_err(EndpointError::Trust)?);
        Ok(self)
    }

    /// Whether the certificate goes unchecked (`--insecure`).
    pub fn insecure(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.trust().insecure)
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// `ws` or `wss`, for the WebSocket request URL.
    pub fn ws_scheme(&self) -> &'static str {
        if self.tls.is_some() { "wss" } else { "ws" }
    }

    /// `host:port` for `TcpStream::connect` (brackets removed from IPv6 literals).
    pub fn socket_addr(&self) -> String {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        if host.contains(':') {
            format!("[{host}]:{}", self.port)
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        let default = if self.tls.is_some() { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// A request target under the prefix: `path` starts with `/`.
    pub fn target(&self, path: &str) -> String {
        format!("{}{}", self.prefix, path)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme(),
            self.host_header(),
            self.prefix
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let e = Endpoint::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.prefix.as_str()),
            ("127.0.0.1", 3000, "")
        );
        let e = Endpoint::parse("http://example.org/base/").unwrap();
        assert_eq!((e.port, e.prefix.as_str()), (80, "/base"));
        assert_eq!(e.target("/engine.io/"), "/base/engine.io/");
        let e = Endpoint::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(e.socket_addr(), "[::1]:8080");
        assert!(matches!(
            Endpoint::parse("ftp://x"),
            Err(EndpointError::Scheme(_))
        ));
        assert!(matches!(
            Endpoint::parse("http://x")
                .unwrap()
                .with_trust(Trust::default()),
            Err(EndpointError::Trust(_))
        ));
        assert!(matches!(
            Endpoint::parse("http://:80"),
            Err(EndpointError::Authority(_))
        ));
        assert!(matches!(
            Endpoint::parse("http://h/?a"),
            Err(EndpointError::Query(_))
        ));
    }

    #[cfg(feature = "tls")]
    #[test]
    fn parses_https_urls() {
        let e = Endpoint::parse("https://example.org/base").unwrap();
        assert_eq!((e.port, e.scheme(), e.ws_scheme()), (443, "https", "wss"));
        assert_eq!(e.host_header(), "example.org");
        assert_eq!(e.to_string(), "https://example.org/base");
        assert!(!e.insecure());
        let e = e
            .with_trust(Trust {
                ca_cert: None,
                insecure: true,
            })
            .unwrap();
        assert!(e.insecure());
        let missing = Endpoint::parse("https://h:1").unwrap().with_trust(Trust {
            ca_cert: Some("/nonexistent/ca.pem".into()),
            insecure: false,
        });
        assert!(matches!(missing, Err(EndpointError::Trust(m)) if m.contains("--ca-cert")));
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_needs_the_feature() {
        let e = Endpoint::parse("https://h").unwrap_err();
        assert!(e.to_string().contains("--features tls"), "{e}");
    }
}
