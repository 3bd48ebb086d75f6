//! The client's address, for login throttling and the log.
//!
//! By default it is the TCP peer. Behind a reverse proxy every peer is the proxy, so when the
//! peer is one of `trusted_proxies` the address comes from `client_ip_header`
//! (`X-Forwarded-For: client, proxy1, proxy2`): read from the right, skipping trusted proxies,
//! the first address is the client. A header sent by anyone else is ignored, so a client
//! cannot choose its own address to dodge the limits.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// An address or a CIDR range (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// Reads `10.0.0.0/8` or a bare address; `None` when malformed.
    pub fn parse(text: &str) -> Option<Network> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Network { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), 32, self.prefix)
                    == masked(u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (width - prefix)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The client's address given the peer, the headers and the trusted proxies.
pub fn client_address(
    peer: IpAddr,
    headers: &HeaderMap,
    header_name: &str,
    trusted: &[Network],
) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all(header_name) {
        let Ok(text) = value.to_str() else {
            return peer;
        };
        for part in text.split(',') {
            match parse_hop(part) {
                Some(ip) => hops.push(canonical(ip)),
                None => return peer,
            }
        }
    }
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
}

/// One hop of `X-Forwarded-For`: an address, maybe with a port or in brackets.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    text.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// The trusted proxies of the settings (checked when the settings are loaded).
pub fn trusted_networks(settings: &crate::settings::Settings) -> Vec<Network> {
    settings
        .trusted_proxies
        .iter()
        .filter_map(|t| Network::parse(t))
        .collect()
}

/// The client's address behind a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let trusted = trusted_networks(&state.settings);
        Ok(ClientIp(client_address(
            peer,
            &parts.headers,
            &state.settings.client_ip_header,
            &trusted,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn networks_match_their_range_only() {
        let n = Network::parse("10.0.0.0/8").expect("cidr");
        assert!(n.contains(ip("10.200.1.2")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.1.1")));
        let one = Network::parse("192.168.1.10").expect("address");
        assert!(one.contains(ip("192.168.1.10")));
        assert!(!one.contains(ip("192.168.1.11")));
        let v6 = Network::parse("fd00::/8").expect("v6");
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert!(
            Network::parse("0.0.0.0/0")
                .expect("all")
                .contains(ip("8.8.8.8"))
        );
        assert_eq!(Network::parse("10.0.0.0/33"), None);
        assert_eq!(Network::parse("proxy.local"), None);
    }

    #[test]
    fn the_header_counts_only_when_a_trusted_proxy_sends_it() {
        let trusted = [Network::parse("10.0.0.0/8").expect("cidr")];
        let h = forwarded("203.0.113.7, 10.0.0.5");
        assert_eq!(
            client_address(ip("10.0.0.2"), &h, "x-forwarded-for", &trusted),
            ip("203.0.113.7")
        );
        // A client cannot pick its address: it talks to us directly.
        assert_eq!(
            client_address(ip("198.51.100.1"), &h, "x-forwarded-for", &trusted),
            ip("198.51.100.1")
        );
        // Addresses the client wrote before ours are not believed: the proxy appended the
        // real one last.
        let spoofed = forwarded("1.2.3.4, 203.0.113.7");
        assert_eq!(
            client_address(ip("10.0.0.2"), &spoofed, "x-forwarded-for", &trusted),
            ip("203.0.113.7")
        );
        // No header, or garbage: the proxy itself.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &HeaderMap::new(),
                "x-forwarded-for",
                &trusted
            ),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &forwarded("nonsense"),
                "x-forwarded-for",
                &trusted
            ),
            ip("10.0.0.2")
        );
    }
}
