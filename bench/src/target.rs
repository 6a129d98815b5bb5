//! Which servers the generator may load: the `--url` is checked before anything connects, and
//! a host that is not a loopback address is refused unless asked for explicitly, so a mistyped
//! URL cannot turn the generator on someone else's server.

use std::net::IpAddr;

/// The `host:port` of `url` (`http://HOST:PORT`, an optional trailing `/`), refused when the
/// host is not loopback and `allow_remote` is false.
pub fn authority(url: &str, allow_remote: bool) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url must be http://HOST:PORT, not {url}"))?;
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "--url must be http://HOST:PORT (no path), not {url}"
        ));
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => return Err(format!("--url needs a port: {url}")),
    };
    if !allow_remote && !is_loopback(host) {
        return Err(format!(
            "{host} is not a loopback address: the generator loads 127.0.0.1 / ::1 / localhost \
             only, unless --allow-remote is given"
        ));
    }
    Ok(authority.to_string())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn loopback_hosts_pass() {
        for url in [
            "http://127.0.0.1:3000",
            "http://127.0.0.1:3000/",
            "http://localhost:1",
            "http://[::1]:8080",
            "http://127.1.2.3:80",
        ] {
            assert!(authority(url, false).is_ok(), "{url}");
        }
        assert_eq!(
            authority("http://127.0.0.1:3000/", false).unwrap(),
            "127.0.0.1:3000"
        );
    }

    #[test]
    fn other_hosts_need_the_flag() {
        for url in [
            "http://10.0.0.1:3000",
            "http://example.com:80",
            "http://[::2]:1",
        ] {
            let err = authority(url, false).unwrap_err();
            assert!(err.contains("--allow-remote"), "{url}: {err}");
            assert!(authority(url, true).is_ok(), "{url}");
        }
    }

    #[test]
    fn malformed_urls_are_refused() {
        for url in [
            "https://127.0.0.1:3000",
            "127.0.0.1:3000",
            "http://127.0.0.1",
            "http://127.0.0.1:3000/socket.io/",
            "http://user@127.0.0.1:3000",
        ] {
            assert!(authority(url, true).is_err(), "{url}");
        }
    }
}
