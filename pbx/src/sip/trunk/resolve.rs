//! The shell's part of trunk registration: resolving the providers' host names (tokio's
//! `lookup_host`; an IP address "resolves" to itself at once), for the endpoint's
//! `Input::TrunkResolved`. Done at start; a name that cannot be resolved is reported with why,
//! and its trunk does not register until the next start.

use std::net::SocketAddr;
use std::time::Duration;

use firmware_config::Config;
use tracing::{info, warn};

use super::Resolved;

/// How long one host name may take to resolve.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves the host of every trunk that registers, preferring an address of the family of
/// our SIP socket (`prefer_v6`), and logs the outcome.
pub async fn resolve_hosts(config: &Config, prefer_v6: bool) -> Vec<Resolved> {
    let mut out = Vec::new();
    for trunk in config.trunks.iter().filter(|t| t.register) {
        let host = trunk.host.to_string();
        let port = trunk.port;
        let address = resolve(&host, port, prefer_v6).await;
        match &address {
            Ok(a) => info!(trunk = %trunk.name, %host, address = %a, "trunk host resolved"),
            Err(e) => warn!(trunk = %trunk.name, %host, error = %e, "trunk host not resolved"),
        }
        out.push(Resolved {
            host,
            port,
            address,
        });
    }
    out
}

async fn resolve(host: &str, port: u16, prefer_v6: bool) -> Result<SocketAddr, String> {
    let lookup = tokio::net::lookup_host((host, port));
    let found: Vec<SocketAddr> = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Ok(Ok(addresses)) => addresses.collect(),
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err(format!("no answer within {RESOLVE_TIMEOUT:?}")),
    };
    found
        .iter()
        .find(|a| a.is_ipv6() == prefer_v6)
        .or(found.first())
        .copied()
        .ok_or_else(|| "no address".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_resolve_to_themselves_and_the_family_is_preferred() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let v4 = rt.block_on(resolve("192.0.2.5", 5080, true));
        assert_eq!(v4, Ok(SocketAddr::from(([192, 0, 2, 5], 5080))));
        let local = rt.block_on(resolve("localhost", 5060, false));
        assert!(local.is_ok_and(|a| a.ip().is_loopback()));
        let bad = rt.block_on(resolve("no-such-host.invalid", 5060, false));
        assert!(bad.is_err());
    }
}
