//! Real local servers for the object-store tests, started on 127.0.0.1:
//! S3-compatible servers (moto from PyPI, s3rver from npm), Azure's blob
//! emulator (Azurite, from npm), and a small HTTP proxy in front of them
//! that records every request and can fail chosen ones; [`RefusingPort`],
//! a loopback port nothing answers on; and [`gzip`], for the tests that
//! read compressed logs.

#![allow(dead_code)]

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// Ports handed out by [`free_port`] in this test process, so that two
/// tests starting servers side by side never get the same one.
static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());

/// A free port on 127.0.0.1, not handed out before in this process.
pub fn free_port() -> u16 {
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
    panic!("no new free port in 100 tries");
}

/// A listener on a port of 127.0.0.1 that [`free_port`] has not handed
/// out: a server may be about to take that one.
fn unclaimed_listener() -> TcpListener {
    let handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    for _ in 0..100 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        if !handed_out.contains(&listener.local_addr().unwrap().port()) {
            return listener;
        }
    }
    panic!("no unclaimed port in 100 tries");
}

/// A port on 127.0.0.1 that refuses connections: bound, never listening,
/// and held while this lives, so that no server is given it meanwhile.
pub struct RefusingPort(socket2::Socket);

impl RefusingPort {
    pub fn new() -> RefusingPort {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.bind(&std::net::SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into()).unwrap();
        RefusingPort(socket)
    }

    pub fn port(&self) -> u16 {
        self.0.local_addr().unwrap().as_socket().unwrap().port()
    }
}

/// True once an HTTP server answers on `port`: an accepted connection is
/// not enough, as the system accepts one on a listener that serves nothing
/// yet (a starting server that opens the port only to check it is free). A
/// connection from that same port is to itself (TCP's simultaneous open,
/// when the system picks the port being waited for as the connection's
/// own), not to a server.
fn answering(port: u16) -> bool {
    let address = (Ipv4Addr::LOCALHOST, port).into();
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    if stream.local_addr().is_ok_and(|a| a.port() == port) {
        return false;
    }
    let mut head = [0u8; 5];
    stream.set_read_timeout(Some(Duration::from_secs(2))).is_ok()
        && stream.write_all(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_ok()
        && stream.read_exact(&mut head).is_ok()
        && &head == b"HTTP/"
}

fn wait_for_port(port: u16, child: &mut Child, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !answering(port) {
        assert!(child.try_wait().unwrap().is_none(), "{name} exited at start");
        assert!(Instant::now() < deadline, "{name} did not start in 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A server process, killed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Finds a program named by `env` (as `.ci/run` sets it) or on the PATH;
/// outside CI a missing one skips the test.
pub fn program(env: &str, name: &str) -> Option<PathBuf> {
    let found = std::env::var_os(env).map(PathBuf::from).filter(|p| p.exists()).or_else(|| {
        Command::new("which")
            .arg(name)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string()))
    });
    if found.is_none() {
        assert!(std::env::var("CI").is_err(), "CI must provide {name} ({env}): see .ci/run");
        eprintln!("skipped: {name} not found (set {env})");
    }
    found
}

/// Starts the program that `env` names (or `name` on the PATH) with the
/// arguments `args` gives for a free port, and waits until it listens.
fn start(env: &str, name: &str, args: impl FnOnce(&str) -> Vec<OsString>) -> Option<Server> {
    let exe = program(env, name)?;
    let port = free_port();
    let mut child =
        Command::new(exe).args(args(&port.to_string())).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    wait_for_port(port, &mut child, name);
    Some(Server { port, child })
}

fn os_args(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// moto's S3 server on a free port.
pub fn moto() -> Option<Server> {
    start("S3LOGQ_MOTO_SERVER", "moto_server", |port| os_args(&["-H", "127.0.0.1", "-p", port]))
}

/// s3rver (npm), which checks SigV4 signatures against S3RVER/S3RVER.
pub fn s3rver(bucket: &str) -> Option<Server> {
    let dir = tempfile::tempdir().unwrap().keep();
    start("S3LOGQ_S3RVER", "s3rver", |port| {
        let mut args = os_args(&["--address", "127.0.0.1", "--port", port, "--directory"]);
        args.push(dir.into_os_string());
        args.extend(os_args(&["--configure-bucket", bucket, "--silent"]));
        args
    })
}

/// Azurite's blob service (npm, Microsoft's Azure Storage emulator), kept
/// in memory, on a free port; it checks each request's Shared Key
/// signature against the emulator's well-known account.
pub fn azurite() -> Option<Server> {
    start("S3LOGQ_AZURITE_BLOB", "azurite-blob", |port| {
        os_args(&[
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            port,
            "--inMemoryPersistence",
            "--silent",
            "--skipApiVersionCheck",
        ])
    })
}

/// The emulator's account, and its key as Azurite and object_store know it.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// Creates `container` in Azurite at `endpoint`, signing the request with
/// Shared Key as Azure's documentation gives it (object_store reads and
/// writes blobs but does not create containers).
pub async fn create_container(endpoint: &str, container: &str) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (date, version) = (httpdate_now(), "2021-08-06");
    let to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n\
         /{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{container}\nrestype:container"
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &b64.decode(AZURITE_KEY).unwrap());
    let signature = b64.encode(ring::hmac::sign(&key, to_sign.as_bytes()));
    let response = reqwest::Client::new()
        .put(format!("{endpoint}/{AZURITE_ACCOUNT}/{container}?restype=container"))
        .header("x-ms-date", &date)
        .header("x-ms-version", version)
        .header("Content-Length", "0")
        .header("Authorization", format!("SharedKey {AZURITE_ACCOUNT}:{signature}"))
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(status.is_success(), "create container: {status} {}", response.text().await.unwrap_or_default());
}

/// Now as an HTTP date (`Tue, 24 Nov 2026 18:24:27 GMT`).
fn httpdate_now() -> String {
    let out = Command::new("date").env("LC_ALL", "C").args(["-u", "+%a, %d %b %Y %H:%M:%S GMT"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Reads one HTTP/1.1 request (head and Content-Length body).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<String>, Vec<u8>)> {
    let mut first = String::new();
    if reader.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        headers.push(line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((first.trim_end().to_string(), headers, body))
}

/// Decides an answer for request number `n` (from 0) with request line `line`:
/// `Some(status)` fails it, `None` forwards it.
pub type Faults = Box<dyn Fn(usize, &str) -> Option<u16> + Send + Sync>;

/// A recording, fault-injecting HTTP proxy to `upstream`.
pub struct Proxy {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<String>>>,
    pub failed: Arc<AtomicUsize>,
}

impl Proxy {
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Request lines seen (`GET /bucket/key?… HTTP/1.1`).
    pub fn seen(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// The value of query parameter `param` (empty where it is absent) in
    /// each request seen whose line holds `marker`, in order.
    pub fn param_of(&self, marker: &str, param: &str) -> Vec<String> {
        let value = |line: &str| {
            let rest = line.split_once(&format!("{param}=")).map_or("", |(_, rest)| rest);
            rest.split(['&', ' ']).next().unwrap_or("").to_string()
        };
        self.seen().iter().filter(|l| l.contains(marker)).map(|l| value(l)).collect()
    }
}

pub fn proxy(upstream: u16, faults: Faults) -> Proxy {
    let listener = unclaimed_listener();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicUsize::new(0));
    let (log, fails, faults) = (requests.clone(), failed.clone(), Arc::new(faults));
    let counter = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50_000) {
            let Ok(stream) = stream else { continue };
            let (log, fails, faults, counter) = (log.clone(), fails.clone(), faults.clone(), counter.clone());
            std::thread::spawn(move || serve_connection(stream, upstream, &log, &fails, &faults, &counter));
        }
    });
    Proxy { port, requests, failed }
}

fn serve_connection(
    stream: TcpStream,
    upstream: u16,
    log: &Mutex<Vec<String>>,
    fails: &AtomicUsize,
    faults: &Faults,
    counter: &AtomicUsize,
) {
    let mut reader = BufReader::new(stream);
    while let Some((line, headers, body)) = read_request(&mut reader) {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        log.lock().unwrap().push(line.clone());
        let client = reader.get_mut();
        if let Some(status) = faults(n, &line) {
            fails.fetch_add(1, Ordering::SeqCst);
            let body = "<Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>";
            let _ = write!(client, "HTTP/1.1 {status} Injected\r\nContent-Length: {}\r\n\r\n{body}", body.len());
            continue;
        }
        let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
        let mut head = format!("{line}\r\n");
        for h in headers.iter().filter(|h| !h.to_ascii_lowercase().starts_with("connection:")) {
            head.push_str(h);
            head.push_str("\r\n");
        }
        head.push_str("Connection: close\r\n\r\n");
        if up.write_all(head.as_bytes()).and_then(|()| up.write_all(&body)).is_err() {
            return;
        }
        let mut response = Vec::new();
        let _ = up.read_to_end(&mut response);
        // Tell the client the connection closes too, so it never reuses it.
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").map_or(response.len(), |p| p + 4);
        let (head, rest) = response.split_at(split);
        let head: String = String::from_utf8_lossy(head)
            .split("\r\n")
            .filter(|h| !h.to_ascii_lowercase().starts_with("connection:") && !h.is_empty())
            .map(|h| format!("{h}\r\n"))
            .collect();
        let _ = client.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes());
        let _ = client.write_all(rest);
        return;
    }
}

/// A 27-field record at `time` (`dd/Mon/yyyy:HH:MM:SS`), numbered `n`.
pub fn record(time: &str, n: usize, sig: &str) -> String {
    format!(
        "7f3c1a9e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081 example-bucket [{time} +0000] 198.51.100.{} \
         arn:aws:iam::111122223333:user/alice {n:016X} REST.GET.OBJECT k{n} \"GET /k{n} HTTP/1.1\" 200 - 10 10 5 4 \"-\" \
         \"aws-cli/2.15\" - HOSTID{n}= {sig} ECDHE-RSA-AES128-GCM-SHA256 AuthHeader example-bucket.s3.amazonaws.com TLSv1.2 - - us-east-1\n",
        n % 250
    )
}

pub async fn upload(store: &Arc<dyn ObjectStore>, objects: Vec<(String, Vec<u8>)>) {
    futures::stream::iter(objects)
        .map(|(key, body)| {
            let store = store.clone();
            async move { store.put(&ObjectPath::from(key.as_str()), PutPayload::from(body)).await.unwrap() }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
}

/// What a finished command wrote to stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `bytes` compressed with gzip.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
