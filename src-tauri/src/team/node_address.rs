//! Where the other nodes of a team reach this node's team server: the URL given with
//! `serve --advertise-url`, else `https://` the address it listens on (unknown when that is every
//! address), published with its certificate's fingerprint in this node's registry row.

use std::net::SocketAddr;

use crate::commands::query;
use crate::console::Console;
use crate::team::link;

/// Reads `--advertise-url`: a team server's address, `https://host:port`.
pub fn parse_advertise_url(text: &str) -> Result<String, String> {
    link::server_url(text)
        .map_err(|_| format!("{text:?} is not a team server's address: write it like https://node-2.example:8443"))
}

/// The URL the other nodes reach this node's team server at: `given`, else `https://` the address
/// it listens on, unless it listens on every address (then none is known).
pub fn advertised_url(given: Option<&str>, listening: SocketAddr) -> Option<String> {
    match given {
        Some(url) => Some(url.to_owned()),
        None if listening.ip().is_unspecified() => None,
        None => Some(format!("https://{listening}")),
    }
}

/// Publishes `url` (`None`: unknown) and the certificate's `fingerprint` in this node's registry
/// row, when it is a node of a shared database; what the other nodes are told, as a line to print.
pub async fn publish(console: &Console, url: Option<String>, fingerprint: &str) -> Option<String> {
    let (said, fingerprint) = (url.clone(), fingerprint.to_owned());
    let published = query(console, move |store| {
        let Some(node) = store.node() else { return Ok(false) };
        store.publish_team_server(node, url.as_deref(), &fingerprint).map(|()| true)
    })
    .await;
    match (published, said) {
        (Ok(false), _) => None,
        (Ok(true), Some(url)) => Some(format!("  other nodes reach it at {url} (to listen in on its calls)")),
        (Ok(true), None) => Some(
            "  other nodes cannot reach it to listen in on its calls: it listens on every address; give \
             --advertise-url"
                .to_owned(),
        ),
        (Err(err), _) => {
            tracing::warn!(error = %err.message, "could not publish where this node's team server is");
            Some(format!("  other nodes cannot reach it to listen in on its calls: {}", err.message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_advertises_the_url_given_else_the_address_it_listens_on_unless_that_is_every_one() {
        let given = parse_advertise_url("https://node-2.example:8443/").unwrap();
        assert_eq!(given, "https://node-2.example:8443");
        let any: SocketAddr = "0.0.0.0:8443".parse().unwrap();
        assert_eq!(advertised_url(Some(&given), any).as_deref(), Some("https://node-2.example:8443"));
        assert_eq!(advertised_url(None, any), None);
        assert_eq!(advertised_url(None, "[::]:8443".parse().unwrap()), None);
        let loopback = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(advertised_url(None, loopback).as_deref(), Some("https://127.0.0.1:9000"));
        assert_eq!(advertised_url(None, "[::1]:9000".parse().unwrap()).as_deref(), Some("https://[::1]:9000"));
        let refused = parse_advertise_url("http://node-2.example").unwrap_err();
        assert!(refused.contains("is not a team server's address"), "{refused}");
    }
}
