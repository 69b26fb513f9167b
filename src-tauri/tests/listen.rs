//! The headless `switchboard listen`: its `/health` checks the API of each provider whose key is
//! in the environment, at the base URL the environment gives (here a loopback Vapi).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEY: &str = "vapi-headless-41d8e2";
/// The other providers, pointed at a closed loopback port in case their keys are set here, so
/// nothing leaves 127.0.0.1.
const OTHERS: [&str; 5] = ["TWILIO", "ELEVENLABS", "DEEPGRAM", "ANTHROPIC", "ULTRAVOX"];

/// Answers one request with `200 []` and returns the request's head.
fn loopback_vapi(listener: TcpListener) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        while reader.read_line(&mut head).unwrap() > 2 {}
        reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]").unwrap();
        head
    })
}

fn get(address: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(address)?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[test]
fn health_checks_the_providers_whose_keys_are_in_the_environment() {
    let data = tempfile::tempdir().unwrap();
    let vapi = TcpListener::bind("127.0.0.1:0").unwrap();
    let vapi_url = format!("http://{}", vapi.local_addr().unwrap());
    let request = loopback_vapi(vapi);
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let closed = format!("http://127.0.0.1:{}", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    let mut listen = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for provider in OTHERS {
        listen.env(format!("SWITCHBOARD_{provider}_BASE_URL"), &closed);
    }
    let mut listen = listen
        .args(["listen", "--port", &port.to_string(), "--public-url", &format!("http://{address}")])
        .env("SWITCHBOARD_DATA_DIR", data.path())
        .env("RUST_LOG", "warn")
        .env("VAPI_API_KEY", KEY)
        .env("SWITCHBOARD_VAPI_BASE_URL", &vapi_url)
        .env_remove("ELEVENLABS_API_KEY")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Kept open to the end: `listen` prints more lines, and a closed pipe would stop it.
    let mut output = BufReader::new(listen.stdout.take().unwrap());
    let mut first_line = String::new();
    output.read_line(&mut first_line).unwrap();
    assert!(first_line.starts_with(&format!("Listening on http://{address}")), "{first_line}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let response = loop {
        // A loaded machine may refuse or reset the first tries; only the deadline ends the wait.
        let response = get(&address, "/health").unwrap_or_else(|error| error.to_string());
        if response.starts_with("HTTP/1.1 200") || Instant::now() > deadline {
            break response;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    listen.kill().unwrap();
    listen.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "/health never answered: {response}");

    let body: serde_json::Value = serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap();
    let reachability = |provider: &str| {
        let providers = body["providers"].as_array().unwrap();
        providers.iter().find(|entry| entry["provider"] == provider).unwrap()["reachability"].clone()
    };
    assert_eq!(reachability("vapi"), serde_json::json!({"state": "reachable"}), "{body}");
    assert_eq!(reachability("elevenlabs"), serde_json::json!({"state": "not-configured"}), "{body}");
    let head = request.join().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("get /assistant?limit=1 http/1.1"), "{head}");
    assert!(head.contains(&format!("authorization: bearer {KEY}")), "{head}");
}
