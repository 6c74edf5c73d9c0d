//! The webhook's HTTP side: one blocking POST of one event with `ureq`, signed with
//! HMAC-SHA256 when a secret is configured.

use std::time::Duration;

use firmware_config::system::Webhook;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the event's id, so the receiver can drop a repeated delivery.
pub const EVENT_HEADER: &str = "X-Centrala-Event";
/// The header carrying `sha256=<hex HMAC-SHA256 of the body>` when a secret is configured.
pub const SIGNATURE_HEADER: &str = "X-Centrala-Signature";

/// Why a POST got no HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// Connecting, TLS, sending or reading the status line failed, or the timeout passed.
    #[error("webhook request failed: {0}")]
    Http(#[from] ureq::Error),
    /// The HMAC could not be keyed (cannot happen for HMAC, which takes any key length).
    #[error("webhook secret unusable: {0}")]
    Key(#[from] hmac::digest::InvalidLength),
}

/// `sha256=` and the lowercase hex HMAC-SHA256 of `body` keyed with `secret`: the value of
/// [`SIGNATURE_HEADER`].
pub fn signature(secret: &[u8], body: &[u8]) -> Result<String, hmac::digest::InvalidLength> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)?;
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 2 * digest.len());
    out.push_str("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    Ok(out)
}

/// A configured webhook, ready to POST.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    secret: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("Client").field("url", &self.url).finish()
    }
}

impl Client {
    /// A client for `webhook`: its URL, its secret, and its timeout for the whole request.
    /// Redirects are not followed (a 3xx counts as a failure and is retried).
    pub fn new(webhook: &Webhook) -> Client {
        let timeout = Duration::from_millis(u64::from(webhook.timeout_ms));
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("centrala/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            url: webhook.url.as_str().to_owned(),
            secret: webhook.secret.as_ref().map(|s| s.as_str().to_owned()),
        }
    }

    /// The URL events go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs event `id` with `body` (the envelope) and returns the HTTP status.
    pub fn post(&self, id: u64, body: &[u8]) -> Result<u16, WebhookError> {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header(EVENT_HEADER, id.to_string());
        if let Some(secret) = &self.secret {
            request = request.header(SIGNATURE_HEADER, signature(secret.as_bytes(), body)?);
        }
        let response = request.send(body)?;
        Ok(response.status().as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 section 4.2, test case 1.
    #[test]
    fn the_signature_matches_rfc_4231_test_case_1() {
        let key = [0x0b; 20];
        let sig = signature(&key, b"Hi There").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sig,
            "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    /// RFC 4231 section 4.3, test case 2 (a key shorter than the block).
    #[test]
    fn the_signature_matches_rfc_4231_test_case_2() {
        let sig =
            signature(b"Jefe", b"what do ya want for nothing?").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// RFC 4231 section 4.7, test case 6 (a key longer than the block, hashed first).
    #[test]
    fn the_signature_matches_rfc_4231_test_case_6() {
        let key = [0xaa; 131];
        let body = b"Test Using Larger Than Block-Size Key - Hash Key First";
        let sig = signature(&key, body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            sig,
            "sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_signature_depends_on_every_byte() {
        let a = signature(b"secret", b"{\"id\":1}").unwrap_or_else(|e| panic!("{e}"));
        let b = signature(b"secret", b"{\"id\":2}").unwrap_or_else(|e| panic!("{e}"));
        let c = signature(b"secreT", b"{\"id\":1}").unwrap_or_else(|e| panic!("{e}"));
        assert!(a != b && a != c && b != c);
        assert_eq!(a.len(), "sha256=".len() + 64);
    }
}
