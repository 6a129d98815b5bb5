//! TLS for `https://` targets (cargo feature `tls`, on by default): how the server's certificate
//! is trusted, and the one connect function both transports use, so polling, WebSocket and the
//! raw frame client all speak TLS the same way.
//!
//! rustls with the `ring` provider (no aws-lc-rs: its C build is slow and buys nothing here).
//! Trust is the Mozilla roots (webpki-roots: no platform verifier to build or configure), plus
//! `--ca-cert` (a PEM file of extra CAs), or `--insecure`, which accepts any certificate: the
//! handshake still proves the server holds the key of the certificate it sent, but nobody checks
//! whose certificate that is. The SNI name is the URL host (an IP literal sends no SNI and is
//! checked against the certificate's IP addresses).

use super::Endpoint;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// How the server's certificate is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    /// A PEM file of CA certificates to trust besides the Mozilla roots.
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate (no chain or name check).
    pub insecure: bool,
}

/// A byte stream to the server: plain TCP or TLS over TCP. Boxed so the drivers need not be
/// generic over the transport (one allocation per connection is nothing next to a handshake).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A connection to the server under test, TLS or not.
pub type Stream = Pin<Box<dyn Io>>;

/// The TLS client configuration of an `https://` endpoint.
#[derive(Clone)]
pub struct Tls {
    trust: Trust,
    #[cfg(feature = "tls")]
    config: std::sync::Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("trust", &self.trust).finish()
    }
}

impl PartialEq for Tls {
    fn eq(&self, other: &Self) -> bool {
        self.trust == other.trust
    }
}
impl Eq for Tls {}

impl Tls {
    /// Whether this build can speak TLS at all.
    pub const AVAILABLE: bool = cfg!(feature = "tls");

    /// How the certificate is checked.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// A client configuration for `trust`; `Err` when `--ca-cert` cannot be used.
    #[cfg(feature = "tls")]
    pub fn new(trust: Trust) -> Result<Tls, String> {
        use rustls::RootCertStore;
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        use std::sync::Arc;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?;
        let mut config = if trust.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            if let Some(path) = &trust.ca_cert {
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
                if certs.is_empty() {
                    return Err(format!(
                        "--ca-cert {}: no CERTIFICATE in the file (PEM expected)",
                        path.display()
                    ));
                }
                for cert in certs {
                    roots
                        .add(cert)
                        .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        // Both transports are HTTP/1.1 (a WebSocket upgrade is an HTTP/1.1 request).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            trust,
            config: Arc::new(config),
        })
    }

    /// Without the `tls` feature there is no TLS client.
    #[cfg(not(feature = "tls"))]
    pub fn new(_trust: Trust) -> Result<Tls, String> {
        Err(NOT_BUILT.to_string())
    }
}

/// The message for an `https://` URL in a build without the feature.
pub const NOT_BUILT: &str = "https:// needs TLS support, which this build of sio-conformance \
     lacks: build it with `--features tls` (on by default; it was turned off with \
     --no-default-features)";

/// `--insecure`: every certificate is accepted. Signatures are still verified with the
/// certificate's key (so the handshake is a real one), but not who the certificate names.
#[cfg(feature = "tls")]
#[derive(Debug)]
struct AnyCertificate(std::sync::Arc<rustls::crypto::CryptoProvider>);

#[cfg(feature = "tls")]
impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Opens a connection to the endpoint within `bound`: TCP (with `TCP_NODELAY`: cases time
/// small frames), then the TLS handshake for an `https://` endpoint. The error says which of
/// the two failed; a certificate the trust settings reject is a TLS handshake error.
pub async fn connect(endpoint: &Endpoint, bound: Duration) -> Result<Stream, String> {
    let deadline = tokio::time::Instant::now() + bound;
    let tcp =
        match tokio::time::timeout_at(deadline, TcpStream::connect(endpoint.socket_addr())).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => {
                return Err(format!("no TCP connection within {} ms", bound.as_millis()));
            }
        };
    let _ = tcp.set_nodelay(true);
    match &endpoint.tls {
        None => Ok(Box::pin(tcp)),
        Some(tls) => handshake(tls, endpoint, tcp, deadline, bound).await,
    }
}

#[cfg(feature = "tls")]
async fn handshake(
    tls: &Tls,
    endpoint: &Endpoint,
    tcp: TcpStream,
    deadline: tokio::time::Instant,
    bound: Duration,
) -> Result<Stream, String> {
    let host = endpoint.host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls_pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("TLS: {host:?} is not a valid server name: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
    match tokio::time::timeout_at(deadline, connector.connect(name, tcp)).await {
        Ok(Ok(stream)) => Ok(Box::pin(stream)),
        Ok(Err(e)) => {
            let hint = if tls.trust.insecure {
                ""
            } else {
                " (a private CA: --ca-cert FILE; no check at all: --insecure)"
            };
            Err(format!("TLS handshake failed: {e}{hint}"))
        }
        Err(_) => Err(format!("no TLS handshake within {} ms", bound.as_millis())),
    }
}

#[cfg(not(feature = "tls"))]
async fn handshake(
    _tls: &Tls,
    _endpoint: &Endpoint,
    _tcp: TcpStream,
    _deadline: tokio::time::Instant,
    _bound: Duration,
) -> Result<Stream, String> {
    Err(NOT_BUILT.to_string())
}
