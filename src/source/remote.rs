//! Log buckets through `object_store`: `s3://`, `gs://`, `az://`/`abfss://`
//! URLs become stores (S3 with the AWS credential chain, `--profile`,
//! `--region`, `--endpoint-url` for S3-compatible servers), prefixes are
//! listed (jumping over the keys outside the window: `ListWindow`), and
//! objects that cannot hold records in the time window are skipped by the
//! timestamp in their key, before any of them is fetched. A large object's
//! body is read as it arrives ([`BodyReader`]).

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ObjectMeta, ObjectStore, RetryConfig};
use tokio::sync::{Semaphore, mpsc};
use url::Url;

use super::SourceError;
use crate::parse::time::{MICROS_PER_DAY, Micros, days_from_civil, digits};
use crate::window::TimeWindow;

/// How to reach object stores.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub region: Option<String>,
    /// An S3-compatible endpoint (`http://` allowed).
    pub endpoint: Option<String>,
    /// A profile of `~/.aws/credentials` / `~/.aws/config`.
    pub profile: Option<String>,
    /// Objects fetched at once.
    pub concurrency: usize,
    /// Retries of a throttled, failed (5xx) or timed-out request.
    pub max_retries: usize,
    /// Report objects that still fail and go on, instead of failing the run.
    pub skip_failed: bool,
    /// How late S3 may deliver a record after its time (µs).
    pub late_delivery: Micros,
    /// Keys listed so far, all bucket URLs together (what a display of
    /// progress shows while a large bucket is listed); shared by clones.
    pub listed_keys: Arc<AtomicU64>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            region: None,
            endpoint: None,
            profile: None,
            concurrency: 64,
            max_retries: 10,
            skip_failed: false,
            late_delivery: 6 * 3600 * 1_000_000,
            listed_keys: Arc::default(),
        }
    }
}

/// One object to read.
#[derive(Debug, Clone)]
pub struct RemoteObject {
    pub store: Arc<dyn ObjectStore>,
    pub location: ObjectPath,
    pub size: u64,
    /// Last modification, nanoseconds since the epoch.
    pub modified: i128,
    /// The object's URL, recorded in `source_file`.
    pub url: String,
}

/// A fetched object's body: whole in memory, or read as it arrives.
pub enum Body {
    Whole(bytes::Bytes),
    Arriving(BodyReader),
}

/// How far an arriving body is read ahead of its reader, in bytes: every
/// object being fetched downloads at once, yet holds no more than this.
const READ_AHEAD: usize = 16 << 20;

/// An object's body read as it arrives, by a thread outside the async
/// runtime. A task on the runtime reads the body up to `READ_AHEAD` bytes
/// ahead; object_store retries a body that breaks off, from where it broke.
pub struct BodyReader {
    pieces: mpsc::Receiver<object_store::Result<bytes::Bytes>>,
    /// Bytes the task may read ahead; the reader gives back a piece's bytes
    /// once it has read them.
    room: Arc<Semaphore>,
    piece: bytes::Bytes,
    piece_permits: u32,
}

impl BodyReader {
    /// Starts reading `body`; must be called on the async runtime.
    pub fn start(mut body: BoxStream<'static, object_store::Result<bytes::Bytes>>) -> Self {
        // The room bounds the bytes ahead; the channel's bound only caps
        // how many pieces, however small, wait in it.
        let (sender, pieces) = mpsc::channel(4096);
        let room = Arc::new(Semaphore::new(READ_AHEAD));
        let ahead = room.clone();
        tokio::spawn(async move {
            while let Some(piece) = body.next().await {
                let permits = piece.as_ref().map_or(0, |p| permits_of(p.len()));
                // Closed when the reader is gone.
                let Ok(taken) = ahead.acquire_many(permits).await else { return };
                taken.forget();
                if sender.send(piece).await.is_err() {
                    return;
                }
            }
        });
        BodyReader { pieces, room, piece: bytes::Bytes::new(), piece_permits: 0 }
    }
}

/// The read-ahead room a piece of `len` bytes takes (a piece larger than
/// all the room takes all of it).
fn permits_of(len: usize) -> u32 {
    u32::try_from(len.min(READ_AHEAD)).unwrap_or(u32::MAX)
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.piece.is_empty() {
            self.room.add_permits(std::mem::take(&mut self.piece_permits) as usize);
            match self.pieces.blocking_recv() {
                Some(piece) => self.piece = piece.map_err(io::Error::other)?,
                None => return Ok(0),
            }
            self.piece_permits = permits_of(self.piece.len());
        }
        let n = buf.len().min(self.piece.len());
        buf[..n].copy_from_slice(&self.piece.split_to(n));
        Ok(n)
    }
}

impl Drop for BodyReader {
    /// Ends the task reading ahead, even while it waits for room.
    fn drop(&mut self) {
        self.room.close();
    }
}

/// True for the URL schemes read through `object_store`.
pub fn is_remote(arg: &str) -> bool {
    ["s3://", "s3a://", "gs://", "az://", "abfss://", "azure://"].iter().any(|s| arg.starts_with(s))
}

fn store_error(url: &str, source: object_store::Error) -> SourceError {
    SourceError::Store { url: url.to_string(), message: source.to_string() }
}

/// Where a Google Cloud Storage bucket's settings come from.
const GCS_SETTINGS: &str = "GCS is set up from the environment: GOOGLE_SERVICE_ACCOUNT (a service account's key file) \
     or GOOGLE_SERVICE_ACCOUNT_KEY (its JSON), else application default credentials";

/// Where an Azure container's settings come from.
const AZURE_SETTINGS: &str = "Azure is set up from the environment: AZURE_STORAGE_ACCOUNT_NAME with \
     AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_KEY or AZURE_STORAGE_TOKEN (AZURE_STORAGE_ENDPOINT for another \
     endpoint), or AZURE_STORAGE_USE_EMULATOR=true for Azurite";

/// Where S3 credentials come from, for a run that found none.
const S3_CREDENTIALS: &str = "no AWS credentials were set, and the instance metadata service gave none: set \
     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or name a profile of ~/.aws with --profile \
     or AWS_PROFILE";

/// A store's error, and where the settings that would mend it come from.
fn hinted_error(url: &str, source: object_store::Error, settings: &str) -> SourceError {
    SourceError::Store { url: url.to_string(), message: format!("{source}; {settings}") }
}

/// A listing's error. One that came from asking a cloud's instance
/// metadata service for credentials (what object_store does when none are
/// set) is, off such an instance, a run with no credentials: it says so.
fn listing_error(url: &str, source: object_store::Error) -> SourceError {
    let message = source.to_string();
    if message.contains("/latest/api/token") || message.contains("/latest/meta-data/iam/") {
        hinted_error(url, source, S3_CREDENTIALS)
    } else if message.contains("/computeMetadata/v1/instance/service-accounts/") {
        hinted_error(url, source, GCS_SETTINGS)
    } else {
        store_error(url, source)
    }
}

fn retry(opts: &StoreOptions) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: opts.max_retries,
        retry_timeout: Duration::from_secs(120),
    }
}

/// Static credentials and region of a shared-config profile.
#[derive(Debug, Default, PartialEq, Eq)]
struct Profile {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    region: Option<String>,
}

/// Reads `[name]` (credentials file) or `[profile name]` (config file).
fn read_profile(text: &str, name: &str, into: &mut Profile) -> bool {
    let mut in_section = false;
    let mut found = false;
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            in_section = section == name || section.strip_prefix("profile ").is_some_and(|s| s.trim() == name);
            found |= in_section;
            continue;
        }
        let Some((key, value)) = line.split_once('=').filter(|_| in_section) else { continue };
        let value = Some(value.trim().to_string());
        match key.trim() {
            "aws_access_key_id" => into.access_key_id = into.access_key_id.take().or(value),
            "aws_secret_access_key" => into.secret_access_key = into.secret_access_key.take().or(value),
            "aws_session_token" => into.session_token = into.session_token.take().or(value),
            "region" => into.region = into.region.take().or(value),
            _ => {}
        }
    }
    found
}

fn aws_file(env: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(default)))
}

fn load_profile(name: &str) -> Result<Profile, SourceError> {
    let mut profile = Profile::default();
    let mut found = false;
    for file in
        [aws_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"), aws_file("AWS_CONFIG_FILE", ".aws/config")]
            .into_iter()
            .flatten()
    {
        if let Ok(text) = std::fs::read_to_string(&file) {
            found |= read_profile(&text, name, &mut profile);
        }
    }
    if !found {
        return Err(SourceError::Profile { name: name.to_string() });
    }
    Ok(profile)
}

fn s3_store(url: &str, opts: &StoreOptions) -> Result<Arc<dyn ObjectStore>, SourceError> {
    let mut b = AmazonS3Builder::from_env().with_url(url).with_retry(retry(opts));
    let profile_name = opts.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok());
    let env_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
    if let Some(name) = profile_name.filter(|_| opts.profile.is_some() || !env_keys) {
        let p = load_profile(&name)?;
        if let (Some(id), Some(secret)) = (p.access_key_id, p.secret_access_key) {
            b = b.with_access_key_id(id).with_secret_access_key(secret);
            if let Some(token) = p.session_token {
                b = b.with_token(token);
            }
        }
        if let Some(region) = p.region.filter(|_| std::env::var_os("AWS_REGION").is_none()) {
            b = b.with_region(region);
        }
    }
    if let Some(region) = &opts.region {
        b = b.with_region(region);
    }
    let endpoint = opts.endpoint.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    if let Some(endpoint) = endpoint {
        b = b
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint)
            .with_virtual_hosted_style_request(false);
    }
    Ok(Arc::new(b.build().map_err(|e| store_error(url, e))?))
}

/// The store and the prefix inside it of a bucket URL.
pub fn open_store(url: &str, opts: &StoreOptions) -> Result<(Arc<dyn ObjectStore>, ObjectPath), SourceError> {
    let parsed = Url::parse(url).map_err(|e| SourceError::Store { url: url.to_string(), message: e.to_string() })?;
    let store: Arc<dyn ObjectStore> = match parsed.scheme() {
        "s3" | "s3a" => s3_store(url, opts)?,
        "gs" => Arc::new(
            GoogleCloudStorageBuilder::from_env()
                .with_url(url)
                .with_retry(retry(opts))
                .build()
                .map_err(|e| hinted_error(url, e, GCS_SETTINGS))?,
        ),
        _ => Arc::new(
            MicrosoftAzureBuilder::from_env()
                .with_url(url)
                .with_retry(retry(opts))
                .build()
                .map_err(|e| hinted_error(url, e, AZURE_SETTINGS))?,
        ),
    };
    let prefix = ObjectPath::from_url_path(parsed.path()).map_err(|e| store_error(url, e.into()))?;
    Ok((store, prefix))
}

/// What a log object's key says about the time of its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTime {
    /// `…YYYY-mm-DD-HH-MM-SS-Unique`: delivered then; records are older.
    Delivered(Micros),
    /// `…/YYYY/MM/DD/YYYY-MM-DD-00-00-00-Unique` (partitioned by event
    /// time): records of that day.
    EventDay(Micros),
}

fn number<const N: usize>(s: &str) -> Option<u32> {
    (s.len() == N).then(|| digits::<N>(s.as_bytes())).flatten()
}

/// Reads the timestamp of a log object's key (either key format).
pub fn key_time(key: &str) -> Option<KeyTime> {
    let name = key.rsplit('/').next()?;
    let parts: Vec<&str> = name.splitn(7, '-').collect();
    let [y, mo, d, h, mi, s, unique] = parts.as_slice() else { return None };
    if unique.is_empty() {
        return None;
    }
    let (year, month, day) = (number::<4>(y)?, number::<2>(mo)?, number::<2>(d)?);
    let (hour, minute, second) = (number::<2>(h)?, number::<2>(mi)?, number::<2>(s)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    let partitioned = key.contains(&format!("/{y}/{mo}/{d}/"));
    Some(if partitioned && hour == 0 && minute == 0 && second == 0 {
        KeyTime::EventDay(secs * 1_000_000)
    } else {
        KeyTime::Delivered(secs * 1_000_000)
    })
}

/// True unless the key shows the object holds no record of the window.
pub fn may_hold(key: &str, window: &TimeWindow, late_delivery: Micros) -> bool {
    let (first, last) = match key_time(key) {
        None => return true,
        Some(KeyTime::EventDay(day)) => (day, day + MICROS_PER_DAY - 1),
        Some(KeyTime::Delivered(at)) => (at - late_delivery, at),
    };
    window.since.is_none_or(|s| last >= s) && window.until.is_none_or(|u| first < u)
}

/// Lists the objects under `url` that may hold records of `window`; the
/// second number counts the objects seen and skipped by their key (those
/// the listing jumped over are not seen).
pub async fn list_objects(
    url: &str,
    opts: &StoreOptions,
    window: &TimeWindow,
) -> Result<(Vec<RemoteObject>, usize), SourceError> {
    let (store, prefix) = open_store(url, opts)?;
    let base = url.split_once("://").map_or(url, |(scheme, rest)| {
        let bucket_end = rest.find('/').unwrap_or(rest.len());
        &url[..scheme.len() + 3 + bucket_end]
    });
    let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
    let within = ListWindow::of(window, opts.late_delivery);
    let (listed, jumped_from) = list_keys(&store, prefix.as_ref(), within.as_ref(), &opts.listed_keys)
        .await
        .map_err(|e| listing_error(url, e))?;
    let total = listed.len();
    let mut objects: Vec<RemoteObject> = listed
        .into_iter()
        .filter(|m| may_hold(m.location.as_ref(), window, opts.late_delivery))
        .map(|m| RemoteObject {
            store: store.clone(),
            url: format!("{base}/{}", m.location),
            modified: m.last_modified.timestamp_nanos_opt().map_or(0, i128::from),
            location: m.location,
            size: m.size,
        })
        .collect();
    objects.sort_by(|a, b| a.location.cmp(&b.location));
    let skipped = total - objects.len() + jumped_from;
    Ok((objects, skipped))
}

/// The keys under `prefix`, in key order, less the runs of log objects
/// outside `within` (when given) that the listing jumps over. S3, GCS and
/// Azure list in key order, and `list_with_offset` starts after a key, so a
/// bucket holding months of logs is not listed whole for one day. Also
/// returned: how many keys were jumped from (each the key of an object
/// outside the window). A server that answers a listing after a key with
/// keys before it is listed again, whole and without jumps. Each key the
/// server answers with is counted in `listed_keys`.
async fn list_keys(
    store: &Arc<dyn ObjectStore>,
    prefix: Option<&ObjectPath>,
    mut within: Option<&ListWindow>,
    listed_keys: &AtomicU64,
) -> object_store::Result<(Vec<ObjectMeta>, usize)> {
    let prefix_len = prefix.map_or(0, |p| p.as_ref().len() + 1);
    let (mut listed, mut jumped_from) = (Vec::new(), 0);
    let mut offset: Option<ObjectPath> = None;
    'listing: loop {
        let mut keys = match &offset {
            None => store.list(prefix),
            Some(offset) => store.list_with_offset(prefix, offset),
        };
        while let Some(meta) = keys.try_next().await? {
            listed_keys.fetch_add(1, Ordering::Relaxed);
            let key = meta.location.as_ref();
            if offset.as_ref().is_some_and(|offset| key <= offset.as_ref()) {
                (within, offset, jumped_from) = (None, None, 0);
                listed.clear();
                continue 'listing;
            }
            let jump = within.and_then(|within| within.jump(key.get(prefix_len..).unwrap_or("")));
            // A key that is not a valid path as it stands is listed on.
            if let Some(to) = jump.and_then(|name| ObjectPath::parse(format!("{}{name}", &key[..prefix_len])).ok()) {
                offset = Some(to);
                jumped_from += 1;
                continue 'listing;
            }
            listed.push(meta);
        }
        return Ok((listed, jumped_from));
    }
}

/// Where log objects' keys stop holding records of the window, in each key
/// layout, on the side of its start ([`KeyBound`] `from`) and of its end
/// (`to`).
#[derive(Debug, PartialEq, Eq)]
struct ListWindow {
    from: Option<KeyBound>,
    to: Option<KeyBound>,
}

/// A time as written in log objects' keys.
#[derive(Debug, PartialEq, Eq)]
struct KeyBound {
    /// `YYYY-mm-DD-HH-MM-SS`, as a delivery-time key begins.
    delivered: String,
    /// `YYYY/MM/DD`, a day folder of the partitioned layout.
    day: String,
}

impl KeyBound {
    fn at(time: Micros) -> Option<Self> {
        let time = datafusion::arrow::temporal_conversions::timestamp_us_to_datetime(time)?;
        Some(KeyBound {
            delivered: time.format("%Y-%m-%d-%H-%M-%S").to_string(),
            day: time.format("%Y/%m/%d").to_string(),
        })
    }
}

/// A log object's key, split as a listing's jumps need it.
struct LogKey<'a> {
    /// The folder (empty, or ending in `/`) and the name, which begins
    /// with `YYYY-`.
    folder: &'a str,
    name: &'a str,
    /// For a key of the partitioned layout, its partition (empty, or
    /// ending in `/`) and day folder, `YYYY/MM/DD`.
    day: Option<(&'a str, &'a str)>,
}

impl<'a> LogKey<'a> {
    fn of(key: &'a str) -> Option<Self> {
        key_time(key)?;
        let (folder, name) = key.rsplit_once('/').map_or(("", key), |(folder, name)| (&key[..=folder.len()], name));
        // The name's date (checked by `key_time`) as a day folder: the key
        // is partitioned when its folder ends with that one.
        let day_folder = name[..10].replace('-', "/");
        let day = folder
            .strip_suffix('/')
            .and_then(|f| f.strip_suffix(day_folder.as_str()))
            .filter(|partition| partition.is_empty() || partition.ends_with('/'))
            .map(|partition| (partition, &folder[partition.len()..folder.len() - 1]));
        Some(LogKey { folder, name, day })
    }
}

impl ListWindow {
    /// None for a window open at both ends. A delivery-time key holds
    /// records up to `late_delivery` older than its time; a partitioned key
    /// named by its event day holds the whole day's.
    fn of(window: &TimeWindow, late_delivery: Micros) -> Option<Self> {
        let from = window.since.and_then(|t| KeyBound::at(t.checked_sub(late_delivery.max(MICROS_PER_DAY))?));
        let to = window.until.and_then(|t| KeyBound::at(t.checked_add(late_delivery)?));
        (from.is_some() || to.is_some()).then_some(ListWindow { from, to })
    }

    /// The key, after the listed prefix, to list on from when `key` is
    /// that of a log object outside the window: every key between the two
    /// is one as well, by its layout (day folders of the same partition, or
    /// names of the same year in the same folder). None to go on.
    fn jump(&self, key: &str) -> Option<String> {
        let log = LogKey::of(key)?;
        let to = self.partition_jump(&log).or_else(|| self.folder_jump(&log))?;
        (to.as_str() > key).then_some(to)
    }

    /// A day folder before the start's: on to the start's; one after the
    /// end's: past the partition's day folders (`9999` sorts after them).
    fn partition_jump(&self, log: &LogKey<'_>) -> Option<String> {
        let (partition, day) = log.day?;
        match (&self.from, &self.to) {
            (Some(from), _) if day < from.day.as_str() => Some(format!("{partition}{}", from.day)),
            (_, Some(to)) if day > to.day.as_str() => Some(format!("{partition}9999")),
            _ => None,
        }
    }

    /// A name before the start's: on to the start's, or past that year's
    /// names (`YYYY-9999` sorts after them, and before a 12-digit account
    /// folder or a later year); one after the end's: past that year's.
    fn folder_jump(&self, log: &LogKey<'_>) -> Option<String> {
        let past_year = format!("{}-9999", &log.name[..4]);
        let to = match (&self.from, &self.to) {
            (Some(from), _) if log.name < from.delivered.as_str() => past_year.min(from.delivered.clone()),
            (_, Some(to)) if log.name > to.delivered.as_str() => past_year,
            _ => return None,
        };
        Some(format!("{}{to}", log.folder))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use object_store::memory::InMemory;
    use object_store::{
        CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, PutMultipartOptions, PutOptions, PutPayload,
        PutResult,
    };

    use super::*;
    use crate::window::parse_time;

    /// Sets its flag when dropped.
    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// Waits, a bounded while, for `done`.
    fn wait_for(done: impl Fn() -> bool) -> bool {
        (0..500).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            done()
        })
    }

    #[test]
    fn an_arriving_body_is_read_at_most_its_room_ahead_and_let_go_with_its_reader() {
        const PIECE: usize = 1 << 20;
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let (pulled, dropped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (counter, flag) = (pulled.clone(), DropFlag(dropped.clone()));
        let body = futures::stream::iter(0..64u8).map(move |i| {
            let _body_alive = &flag;
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(bytes::Bytes::from(vec![i; PIECE]))
        });
        let mut reader = {
            let _on_runtime = runtime.enter();
            BodyReader::start(body.boxed())
        };
        // The room holds 16 pieces; a 17th waits for room.
        let room = READ_AHEAD / PIECE;
        assert!(wait_for(|| pulled.load(Ordering::SeqCst) > room), "read ahead: {pulled:?}");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(pulled.load(Ordering::SeqCst), room + 1);
        // Reading three pieces makes room for two more (the third is still
        // being read), in order.
        let mut three = vec![0; 3 * PIECE];
        reader.read_exact(&mut three).expect("read");
        assert_eq!((three[0], three[PIECE], three[3 * PIECE - 1]), (0, 1, 2));
        assert!(wait_for(|| pulled.load(Ordering::SeqCst) == room + 3), "after reading: {pulled:?}");
        // Dropping the reader ends the task, which lets the body go.
        drop(reader);
        assert!(wait_for(|| dropped.load(Ordering::SeqCst)), "the body is still held");
        assert_eq!(pulled.load(Ordering::SeqCst), room + 3);
    }

    #[test]
    fn key_times_of_both_formats() {
        let t = parse_time("2026-11-20T09:30:12Z").unwrap();
        assert_eq!(key_time("logs/2026-11-20-09-30-12-4C9F3A7E21B8D650"), Some(KeyTime::Delivered(t)));
        let day = parse_time("2026-11-20").unwrap();
        assert_eq!(
            key_time("p/111122223333/us-east-1/bkt/2026/11/20/2026-11-20-00-00-00-4C9F3A7E21B8D650"),
            Some(KeyTime::EventDay(day))
        );
        assert_eq!(
            key_time("p/111122223333/us-east-1/bkt/2026/11/20/2026-11-20-09-30-12-ABC"),
            Some(KeyTime::Delivered(t)),
            "partitioned by delivery time"
        );
        assert_eq!(key_time("logs/readme.txt"), None);
        assert_eq!(key_time("logs/2026-13-20-09-30-12-X"), None);
    }

    #[test]
    fn pruning_by_key_keeps_late_deliveries() {
        let window = TimeWindow { since: parse_time("2026-11-20").ok(), until: parse_time("2026-11-21").ok() };
        let slack = 6 * 3600 * 1_000_000;
        assert!(!may_hold("l/2026-11-19-23-59-59-X", &window, slack), "delivered before the window");
        assert!(may_hold("l/2026-11-20-00-00-01-X", &window, slack));
        assert!(may_hold("l/2026-11-21-05-00-00-X", &window, slack), "late delivery of the 20th");
        assert!(!may_hold("l/2026-11-21-06-00-01-X", &window, slack), "past the slack");
        assert!(may_hold("p/1/r/b/2026/11/20/2026-11-20-00-00-00-X", &window, slack));
        assert!(!may_hold("p/1/r/b/2026/11/21/2026-11-21-00-00-00-X", &window, slack));
        assert!(may_hold("l/unknown-name", &window, slack));
    }

    #[test]
    fn a_listing_jumps_over_log_objects_outside_the_window() {
        let window = |since, until: Option<&str>| TimeWindow {
            since: parse_time(since).ok(),
            until: until.and_then(|u| parse_time(u).ok()),
        };
        let six_hours = 6 * 3600 * 1_000_000;
        assert_eq!(ListWindow::of(&TimeWindow::default(), six_hours), None, "an open window: no jump");
        let within = ListWindow::of(&window("2026-11-20T10:00:00Z", None), six_hours).unwrap();
        let from = within.from.as_ref().unwrap();
        assert_eq!((from.delivered.as_str(), from.day.as_str()), ("2026-11-19-10-00-00", "2026/11/19"), "a day back");
        assert_eq!(within.to, None);
        let late = ListWindow::of(&window("2026-11-20T10:00:00Z", None), 5 * six_hours).unwrap();
        assert_eq!(late.from.unwrap().delivered, "2026-11-19-04-00-00", "or the longest delivery delay, when longer");

        // Before the start. Delivery-time names: on to the start's in that
        // folder, or past an earlier year's names.
        assert_eq!(within.jump("2026-11-18-23-59-59-A1").as_deref(), Some("2026-11-19-10-00-00"));
        assert_eq!(within.jump("logs/2026-11-19-09-59-59-A1").as_deref(), Some("logs/2026-11-19-10-00-00"));
        assert_eq!(within.jump("logs/2025-02-01-00-00-00-A1").as_deref(), Some("logs/2025-9999"));
        assert!("logs/2025-12-31-23-59-59-Z" < "logs/2025-9999" && "logs/2025-9999" < "logs/202512345678/");
        assert_eq!(within.jump("logs/2026-11-19-10-00-00-A1"), None, "delivered at the start: may hold records");
        assert_eq!(within.jump("logs/2026-11-21-00-00-00-A1"), None, "no end to the window");
        // Day folders of the partitioned layout: on to the start's day.
        let partition = "p/111122223333/us-east-1/src-bucket";
        assert_eq!(
            within.jump(&format!("{partition}/2026/10/31/2026-10-31-00-00-00-A1")),
            Some(format!("{partition}/2026/11/19"))
        );
        assert_eq!(within.jump("2025/01/01/2025-01-01-00-00-00-A1").as_deref(), Some("2026/11/19"));
        assert_eq!(
            within.jump(&format!("{partition}/2026/11/19/2026-11-19-00-00-00-A1")),
            Some(format!("{partition}/2026/11/19/2026-11-19-10-00-00")),
            "the 19th's records are all older than the window, which starts on the 20th"
        );
        assert_eq!(within.jump(&format!("{partition}/2026/11/20/2026-11-20-00-00-00-A1")), None);

        // After the end (the 21st, plus six hours for late deliveries).
        let within = ListWindow::of(&window("2026-11-20T00:00:00Z", Some("2026-11-21T00:00:00Z")), six_hours).unwrap();
        assert_eq!(within.jump("logs/2026-11-21-06-00-01-A1").as_deref(), Some("logs/2026-9999"), "past the year");
        assert_eq!(within.jump("logs/2026-11-21-05-59-59-A1"), None, "may be a late delivery of the 20th");
        assert_eq!(
            within.jump(&format!("{partition}/2026/11/22/2026-11-22-00-00-00-A1")),
            Some(format!("{partition}/9999"))
        );
        assert_eq!(within.jump(&format!("{partition}/2026/11/21/2026-11-21-00-00-00-A1")), None);
        assert!(format!("{partition}/2027/01/01/") < format!("{partition}/9999"));

        // Keys that are not log objects' are listed on.
        for key in ["logs/readme.txt", "logs/2025-archive/notes", "logs/2025-02-01", "2025/01/01/notes.txt"] {
            assert_eq!(within.jump(key), None, "{key}");
        }
    }

    /// An in-memory store whose listing after a key ignores the key, as a
    /// server without `start-after` would.
    #[derive(Debug)]
    struct IgnoresOffset(InMemory);

    impl std::fmt::Display for IgnoresOffset {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "IgnoresOffset")
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for IgnoresOffset {
        async fn put_opts(
            &self,
            at: &ObjectPath,
            payload: PutPayload,
            opts: PutOptions,
        ) -> object_store::Result<PutResult> {
            self.0.put_opts(at, payload, opts).await
        }
        async fn put_multipart_opts(
            &self,
            at: &ObjectPath,
            opts: PutMultipartOptions,
        ) -> object_store::Result<Box<dyn MultipartUpload>> {
            self.0.put_multipart_opts(at, opts).await
        }
        async fn get_opts(&self, at: &ObjectPath, options: GetOptions) -> object_store::Result<GetResult> {
            self.0.get_opts(at, options).await
        }
        fn delete_stream(
            &self,
            locations: BoxStream<'static, object_store::Result<ObjectPath>>,
        ) -> BoxStream<'static, object_store::Result<ObjectPath>> {
            self.0.delete_stream(locations)
        }
        fn list(&self, prefix: Option<&ObjectPath>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
            self.0.list(prefix)
        }
        fn list_with_offset(
            &self,
            prefix: Option<&ObjectPath>,
            _: &ObjectPath,
        ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
            self.0.list(prefix)
        }
        async fn list_with_delimiter(&self, prefix: Option<&ObjectPath>) -> object_store::Result<ListResult> {
            self.0.list_with_delimiter(prefix).await
        }
        async fn copy_opts(
            &self,
            from: &ObjectPath,
            to: &ObjectPath,
            options: CopyOptions,
        ) -> object_store::Result<()> {
            self.0.copy_opts(from, to, options).await
        }
    }

    #[tokio::test]
    async fn a_listing_lists_from_the_window_or_whole_where_the_server_ignores_where_to_start() {
        let keys = [
            "logs/2025-03-01-10-00-00-A",
            "logs/2025-03-02-10-00-00-B",
            "logs/202512345678/us-east-1/src/2026/11/01/2026-11-01-00-00-00-C",
            "logs/202512345678/us-east-1/src/2026/11/20/2026-11-20-00-00-00-D",
            "logs/2026-11-18-10-00-00-E",
            "logs/2026-11-20-10-00-00-F",
        ];
        let memory = InMemory::new();
        for key in keys {
            memory
                .put_opts(&ObjectPath::from(key), PutPayload::from_static(b"x"), PutOptions::default())
                .await
                .unwrap();
        }
        let within = ListWindow::of(&TimeWindow { since: parse_time("2026-11-20").ok(), until: None }, 0).unwrap();
        let prefix = ObjectPath::from("logs");
        let names = |(listed, jumped_from): (Vec<ObjectMeta>, usize)| {
            (listed.into_iter().map(|m| m.location.to_string()).collect::<Vec<_>>(), jumped_from)
        };
        let expected = |picked: &[usize], jumped_from| {
            (picked.iter().map(|&i| keys[i].to_string()).collect::<Vec<_>>(), jumped_from)
        };
        let memory: Arc<dyn ObjectStore> = Arc::new(memory);
        let listed_keys = AtomicU64::new(0);
        let from_start = names(list_keys(&memory, Some(&prefix), Some(&within), &listed_keys).await.unwrap());
        assert_eq!(from_start, expected(&[3, 5], 3), "jumped from A over B, from C and from E");
        assert_eq!(listed_keys.load(Ordering::Relaxed), 5, "A, C, D, E and F were listed");
        let everything = names(list_keys(&memory, Some(&prefix), None, &listed_keys).await.unwrap());
        assert_eq!(everything, expected(&[0, 1, 2, 3, 4, 5], 0), "no window: all");
        assert_eq!(listed_keys.load(Ordering::Relaxed), 11);

        let ignores: Arc<dyn ObjectStore> = Arc::new(IgnoresOffset(InMemory::new()));
        for key in keys {
            ignores
                .put_opts(&ObjectPath::from(key), PutPayload::from_static(b"x"), PutOptions::default())
                .await
                .unwrap();
        }
        let whole = names(list_keys(&ignores, Some(&prefix), Some(&within), &listed_keys).await.unwrap());
        assert_eq!(whole, expected(&[0, 1, 2, 3, 4, 5], 0), "listed again, whole");
        assert_eq!(listed_keys.load(Ordering::Relaxed), 19, "A; A again, before where it asked to start; then all six");
    }

    #[test]
    fn profiles_come_from_credentials_and_config() {
        let mut p = Profile::default();
        let creds = "[default]\naws_access_key_id = A\n[ops]\naws_access_key_id = OPS\naws_secret_access_key = S\n";
        assert!(read_profile(creds, "ops", &mut p));
        assert!(read_profile("[profile ops]\nregion = eu-west-1\n", "ops", &mut p));
        assert_eq!(
            p,
            Profile {
                access_key_id: Some("OPS".into()),
                secret_access_key: Some("S".into()),
                session_token: None,
                region: Some("eu-west-1".into())
            }
        );
        assert!(!read_profile(creds, "missing", &mut Profile::default()));
    }
}
