//! The server under test: host, port and an optional path prefix (`http://host:port/prefix`).

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
}

/// Why a `--url` could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Only `http://` is supported (TLS will come behind a cargo feature).
    #[error("unsupported scheme in {0:?}: only http:// is supported in this build")]
    Scheme(String),
    /// The authority part is empty or the port is not a number.
    #[error("invalid host or port in {0:?}")]
    Authority(String),
    /// The URL carries a query string or a fragment.
    #[error("the URL must not carry a query or fragment: {0:?}")]
    Query(String),
}

impl Endpoint {
    /// Parses `http://host[:port][/prefix]`.
    pub fn parse(url: &str) -> Result<Endpoint, EndpointError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| EndpointError::Scheme(url.to_string()))?;
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
            None => 80,
        };
        Ok(Endpoint {
            host: host.to_string(),
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
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
        if self.port == 80 {
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
        write!(f, "http://{}{}", self.host_header(), self.prefix)
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
            Endpoint::parse("https://x"),
            Err(EndpointError::Scheme(_))
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
}
