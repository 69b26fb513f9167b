//! Team mode: `switchboard serve --team` serves the console's operations over HTTPS to signed-in
//! accounts (`accounts`), with the engine's events over a WebSocket (`api`), on a certificate
//! given or made once (`tls`), which a console trusts the system's way or by a pin (`trust`); `switchboard team add-user` makes the accounts (`cli`); a console
//! signed in to a server forwards its operations there (`link`), keeping History's answers for
//! when it cannot be reached (`offline`); failed sign-ins are limited (`sign_in_limits`). A node
//! of a shared database publishes where its team server is (`node_address`) and relays the
//! listen-in of a call another node runs (`node_listen`).

pub mod accounts;
pub mod api;
pub mod audio;
pub mod cli;
pub mod link;
pub mod node_address;
pub mod node_listen;
pub mod offline;
pub mod sign_in_limits;
pub mod tls;
pub mod trust;
