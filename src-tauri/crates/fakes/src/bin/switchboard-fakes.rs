//! Serves every provider fake on 127.0.0.1 and prints one line per fake (its name, base URL and
//! the keys it accepts) until Ctrl-C, for benches and trying things by hand; it takes commands
//! on its standard input (see `switchboard_fakes::every_fake`). Options: `--cast
//! realistic|cooperative` (who answers) and `--ring-ms N` (how long calls ring).

use switchboard_fakes::every_fake::{self, Options};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let options = Options::parse(std::env::args().skip(1)).map_err(std::io::Error::other)?;
    every_fake::serve(options).await
}
