//! Reading Azure containers (`az://`) through object_store against Azurite,
//! Microsoft's Azure Storage emulator, on 127.0.0.1 behind the recording
//! proxy: both key layouts, a listing that starts from the window (Azure's
//! `startFrom`), gzip, the objects' names in `source_file`, and clear
//! errors for a wrong key and a missing container.

mod support;

use std::process::{Command, Output};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::azure::MicrosoftAzureBuilder;
use support::{AZURITE_ACCOUNT, AZURITE_KEY, Proxy, Server, record, stderr, upload};

const CONTAINER: &str = "logs";

/// Azurite with the container created, a proxy in front of it, and a store
/// that writes to it directly.
async fn setup() -> Option<(Server, Proxy, Arc<dyn ObjectStore>)> {
    let azurite = support::azurite()?;
    support::create_container(&azurite.endpoint(), CONTAINER).await;
    let store = MicrosoftAzureBuilder::new()
        .with_endpoint(format!("{}/{AZURITE_ACCOUNT}", azurite.endpoint()))
        .with_allow_http(true)
        .with_account(AZURITE_ACCOUNT)
        .with_access_key(AZURITE_KEY)
        .with_container_name(CONTAINER)
        .build()
        .unwrap();
    let proxy = support::proxy(azurite.port, Box::new(|_, _| None));
    Some((azurite, proxy, Arc::new(store)))
}

/// How s3logq is pointed at a storage account: object_store's own
/// environment variables.
#[derive(Clone, Copy)]
enum Account<'a> {
    /// By name, key and endpoint, as a real account is addressed: listings
    /// carry Azure's `startFrom` (which Azurite ignores).
    Named { key: &'a str },
    /// As the emulator (`AZURE_STORAGE_USE_EMULATOR`), for which object_store
    /// lists from the start and drops the keys before an offset itself.
    Emulator,
}

fn s3logq(proxy: &Proxy, account: Account<'_>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3logq"));
    command.args(args);
    match account {
        Account::Named { key } => command
            .env("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT)
            .env("AZURE_STORAGE_ACCOUNT_KEY", key)
            .env("AZURE_STORAGE_ENDPOINT", format!("{}/{AZURITE_ACCOUNT}", proxy.endpoint()))
            .env("AZURE_ALLOW_HTTP", "true"),
        Account::Emulator => {
            command.env("AZURE_STORAGE_USE_EMULATOR", "true").env("AZURITE_BLOB_STORAGE_URL", proxy.endpoint())
        }
    };
    command.output().unwrap()
}

/// The `startFrom` of each listing request the proxy saw, in order (empty
/// for a listing from the start).
fn list_starts(proxy: &Proxy) -> Vec<String> {
    proxy.param_of("comp=list", "startFrom")
}

/// Blob reads the proxy saw since request number `from`.
fn blob_gets(proxy: &Proxy, from: usize) -> Vec<String> {
    proxy.seen()[from..].iter().filter(|l| l.starts_with("GET ") && !l.contains("comp=list")).cloned().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_is_read_by_key_time_and_listed_from_the_window() {
    let Some((_azurite, proxy, store)) = setup().await else { return };
    let partition = "hist/202512345678/us-east-1/src-bucket";
    let mut objects: Vec<(String, Vec<u8>)> = (0..40)
        .map(|n| {
            let key = format!("hist/2025-{:02}-{:02}-10-00-00-{n:06}", n % 12 + 1, n % 28 + 1);
            (key, record("01/Jan/2025:09:00:00", n, "SigV4").into_bytes())
        })
        .collect();
    objects.extend([
        ("hist/2026-11-18-12-00-00-OLD1".to_string(), record("18/Nov/2026:11:00:00", 1, "SigV4").into_bytes()),
        ("hist/2026-11-20-10-00-00-NEW1".to_string(), record("20/Nov/2026:09:00:00", 2, "SigV4").into_bytes()),
        (
            "hist/2026-11-21-01-00-00-NEW2".to_string(),
            support::gzip((record("20/Nov/2026:23:00:00", 3, "SigV2") + "not a log record\n").as_bytes()),
        ),
        (format!("{partition}/2026/11/01/2026-11-01-00-00-00-OLDP"), record("01/Nov/2026:12:00:00", 4, "SigV4").into()),
        (format!("{partition}/2026/11/20/2026-11-20-00-00-00-NEWP"), record("20/Nov/2026:12:00:00", 5, "SigV2").into()),
    ]);
    upload(&store, objects).await;
    let url = format!("az://{CONTAINER}/hist/");
    let sql = "SELECT source_file, source_line, signature_version FROM logs ORDER BY source_file";

    let named = Account::Named { key: AZURITE_KEY };
    let whole = s3logq(&proxy, named, &["query", "--format", "csv", "SELECT count(*) AS n FROM logs", &url]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    assert_eq!(String::from_utf8_lossy(&whole.stdout), "n\n45\n");
    assert_eq!(list_starts(&proxy), [""], "45 blobs: one page, from the start");
    let rejected = format!("az://{CONTAINER}/hist/2026-11-21-01-00-00-NEW2:2: ");
    assert!(stderr(&whole).contains(&rejected), "{}", stderr(&whole));

    let window = ["query", "--format", "csv", "--since", "2026-11-20", sql, &url];
    let expected = format!(
        "source_file,source_line,signature_version\n\
         az://{CONTAINER}/hist/202512345678/us-east-1/src-bucket/2026/11/20/2026-11-20-00-00-00-NEWP,1,SigV2\n\
         az://{CONTAINER}/hist/2026-11-20-10-00-00-NEW1,1,SigV4\n\
         az://{CONTAINER}/hist/2026-11-21-01-00-00-NEW2,1,SigV2\n"
    );
    // As a real account is addressed, the listing asks to start past the
    // 2025 names (`startFrom`); Azurite answers from the container's first
    // key instead, so the run lists the prefix again, whole.
    let (seen_before, lists_before) = (proxy.seen().len(), list_starts(&proxy).len());
    let out = s3logq(&proxy, named, &window);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert_eq!(list_starts(&proxy)[lists_before..], ["", "hist%2F2025-9999", ""]);
    let gets = blob_gets(&proxy, seen_before);
    assert_eq!(gets.len(), 3, "only the window's three blobs are read: {gets:?}");
    for pruned in ["OLD1", "OLDP", "2025-"] {
        assert!(!gets.iter().any(|g| g.contains(pruned)), "{pruned} was read: {gets:?}");
    }
    assert!(stderr(&out).contains("3 objects read"), "{}", stderr(&out));

    // As the emulator, object_store drops the keys before each start itself,
    // listing from the first key every time: one listing per jump, past the
    // 2025 names, the partition's old days and the old names of 2026.
    let lists_before = list_starts(&proxy).len();
    let out = s3logq(&proxy, Account::Emulator, &window);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert_eq!(list_starts(&proxy)[lists_before..], ["", "", "", ""]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_and_a_missing_container_are_clear() {
    let Some((_azurite, proxy, store)) = setup().await else { return };
    let named = Account::Named { key: AZURITE_KEY };
    upload(&store, vec![("a/2026-11-20-10-00-00-AAAA".into(), record("20/Nov/2026:09:00:00", 1, "SigV4").into())])
        .await;
    let wrong_key = "d3Jvbmcga2V5IGZvciB0aGUgZW11bGF0b3I=";
    let out = s3logq(
        &proxy,
        Account::Named { key: wrong_key },
        &["query", "SELECT count(*) FROM logs", &format!("az://{CONTAINER}/a/")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("az://{CONTAINER}/a/")) && stderr(&out).contains("403"), "{}", stderr(&out));
    let out = s3logq(&proxy, named, &["query", "SELECT count(*) FROM logs", "az://no-such-container/a/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("az://no-such-container/a/") && stderr(&out).contains("ContainerNotFound"),
        "{}",
        stderr(&out)
    );
    let out = s3logq(
        &proxy,
        named,
        &["query", "--format", "csv", "SELECT count(*) AS n FROM logs", &format!("az://{CONTAINER}/a/")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "n\n1\n");
}
