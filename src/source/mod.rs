//! Inputs: turns the paths a user names (files, folders searched recursively,
//! glob patterns, `-` for stdin) into readers of log text, with gzip and zstd
//! detected by their magic bytes rather than by file name.

pub mod manifest;
pub mod remote;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use crate::window::TimeWindow;
use remote::list_objects;
pub use remote::{Body, BodyReader, RemoteObject, StoreOptions, is_remote};

/// One log object to read.
#[derive(Debug, Clone)]
pub enum Input {
    Stdin,
    File(PathBuf),
    Object(RemoteObject),
}

impl PartialEq for Input {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Input {
    /// The name recorded in `source_file` and in messages.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(p) => p.display().to_string(),
            Input::Object(o) => o.url.clone(),
        }
    }

    /// What tells inputs apart: a file's canonical path (`a.log` and
    /// `./a.log` are one file), else the name. A folder's canonical path is
    /// found once, in `folders`, for all the files in it that are not links
    /// themselves.
    fn identity(&self, folders: &mut HashMap<PathBuf, PathBuf>) -> String {
        let Input::File(path) = self else { return self.name() };
        let is_link = path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
        let canonical = match (path.parent(), path.file_name()) {
            (Some(folder), Some(name)) if !is_link => {
                let folder = if folder.as_os_str().is_empty() { Path::new(".") } else { folder };
                folders.entry(folder.to_path_buf()).or_insert_with(|| canonical_or_as_is(folder)).join(name)
            }
            _ => canonical_or_as_is(path),
        };
        canonical.display().to_string()
    }

    /// Size as stored (compressed or not); 0 for stdin.
    pub fn stored_bytes(&self) -> u64 {
        match self {
            Input::Stdin => 0,
            Input::File(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            Input::Object(o) => o.size,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: no such file or folder (give a log file, a folder of logs, a glob pattern or `-` for stdin)")]
    NotFound { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("invalid glob pattern `{pattern}`: {source}")]
    BadGlob { pattern: String, source: glob::PatternError },
    #[error("glob pattern `{pattern}` matches no file")]
    NoMatch { pattern: String },
    #[error(
        "glob pattern `{pattern}` matches only the lake {lake} or its files (give the lake's folder alone to query it)"
    )]
    OnlyLake { pattern: String, lake: String },
    #[error("{url}: {message}")]
    Store { url: String, message: String },
    #[error("AWS profile `{name}` is not in ~/.aws/credentials or ~/.aws/config")]
    Profile { name: String },
}

fn io_error(path: &Path, source: io::Error) -> SourceError {
    SourceError::Io { path: path.display().to_string(), source }
}

fn is_glob(arg: &str) -> bool {
    arg.contains(['*', '?', '['])
}

/// Expands the command line's inputs, local and remote, in the order given;
/// remote objects that cannot hold records of `window` are left out (their
/// number is returned too).
pub async fn resolve_all(
    args: &[String],
    opts: &StoreOptions,
    window: &TimeWindow,
) -> Result<(Vec<Identified>, usize), SourceError> {
    let mut found = Vec::new();
    let mut skipped = 0;
    for arg in args {
        if is_remote(arg) {
            let (objects, pruned) = list_objects(arg, opts, window).await?;
            found.extend(objects.into_iter().map(|o| Found::named(Input::Object(o))));
            skipped += pruned;
        } else {
            resolve_local(arg, &mut found)?;
        }
    }
    Ok((each_once(found), skipped))
}

/// `path` with links, `.` and `..` resolved; as it is when that fails (a
/// file gone since it was listed is then reported when it is opened).
fn canonical_or_as_is(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// An input as found, with its identity where finding it told that already
/// (a file listed in a folder and not a link: the folder's canonical path
/// joined with its name), which spares each of a folder's files a look at
/// the file system.
struct Found {
    input: Input,
    identity: Option<PathBuf>,
}

impl Found {
    /// An input named on the command line or in a listing, its identity
    /// still to be found.
    fn named(input: Input) -> Found {
        Found { input, identity: None }
    }

    fn identity(&self, folders: &mut HashMap<PathBuf, PathBuf>) -> String {
        match &self.identity {
            Some(identity) => identity.display().to_string(),
            None => self.input.identity(folders),
        }
    }
}

/// An input found by [`resolve_all`], with what tells it apart from the
/// others (a file's canonical path, an object's URL): the name a lake's
/// manifest knows it by.
pub struct Identified {
    pub input: Input,
    pub identity: String,
}

/// Each file or object once, where first named, however many arguments
/// name it (a folder and a glob inside it, a bucket prefix and a longer
/// one): its records would otherwise be in the table twice.
fn each_once(found: Vec<Found>) -> Vec<Identified> {
    let (mut seen, mut folders) = (HashSet::new(), HashMap::new());
    (found.into_iter())
        .filter_map(|f| {
            let identity = f.identity(&mut folders);
            seen.insert(identity.clone()).then_some(Identified { input: f.input, identity })
        })
        .collect()
}

/// Expands local inputs, in the order given; a folder's files are taken
/// recursively in name order, hidden files skipped.
pub fn resolve_inputs(args: &[String]) -> Result<Vec<Input>, SourceError> {
    let mut found = Vec::new();
    for arg in args {
        resolve_local(arg, &mut found)?;
    }
    Ok(found.into_iter().map(|f| f.input).collect())
}

/// A local argument as a path: a `file://` URL without its scheme.
pub fn local_arg(arg: &str) -> &str {
    arg.strip_prefix("file://").unwrap_or(arg)
}

/// Adds the inputs that a local argument names.
fn resolve_local(arg: &str, found: &mut Vec<Found>) -> Result<(), SourceError> {
    let arg = local_arg(arg);
    let path = Path::new(arg);
    if arg == "-" {
        found.push(Found::named(Input::Stdin));
    } else if path.exists() {
        collect_path(path, found, &mut Vec::new())?;
    } else if is_glob(arg) {
        collect_glob(arg, found)?;
    } else {
        return Err(SourceError::NotFound { path: arg.to_string() });
    }
    Ok(())
}

/// Adds the files and folders that `pattern` matches, leaving out a lake's
/// own files, as a folder's walk does (`logs/*` would otherwise read the
/// Parquet files and manifest of `logs/lake` as logs).
fn collect_glob(pattern: &str, inputs: &mut Vec<Found>) -> Result<(), SourceError> {
    let paths = glob::glob(pattern).map_err(|source| SourceError::BadGlob { pattern: pattern.to_string(), source })?;
    let before = inputs.len();
    let mut lakes = LakeFolders::default();
    let mut lake_left_out = None;
    for entry in paths {
        let path = entry.map_err(|e| {
            let path = e.path().to_path_buf();
            io_error(&path, e.into())
        })?;
        if let Some(lake) = lakes.owning(&path) {
            lake_left_out.get_or_insert(lake);
        } else if !path.is_dir() {
            inputs.push(Found::named(Input::File(path)));
        } else {
            let walked_from = inputs.len();
            collect_path(&path, inputs, &mut Vec::new())?;
            if inputs.len() == walked_from && lakes.holds(&path) {
                lake_left_out.get_or_insert(path);
            }
        }
    }
    if inputs.len() == before {
        let pattern = pattern.to_string();
        return Err(match lake_left_out {
            Some(lake) => SourceError::OnlyLake { pattern, lake: lake.display().to_string() },
            None => SourceError::NoMatch { pattern },
        });
    }
    Ok(())
}

/// Which folders hold a lake, each looked up once however many of a glob's
/// matches lie in it.
#[derive(Default)]
struct LakeFolders(HashMap<PathBuf, bool>);

impl LakeFolders {
    /// The lake whose own part (a `date=` folder, a `_s3logq_` file) `path`
    /// is or lies in, if any.
    fn owning(&mut self, path: &Path) -> Option<PathBuf> {
        path.ancestors().filter(|part| part.file_name().is_some_and(manifest::is_lake_part)).find_map(|part| {
            let lake = part.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            self.holds(lake).then(|| lake.to_path_buf())
        })
    }

    /// True when `folder` holds a lake.
    fn holds(&mut self, folder: &Path) -> bool {
        *self.0.entry(folder.to_path_buf()).or_insert_with(|| manifest::holds_lake(folder))
    }
}

/// Adds the file at `path`, or the files of the folder there; `walking`
/// holds the canonical paths of the folders it lies in, so that a link
/// back to one of them (whose files are read already) ends the walk there
/// rather than going round until the system refuses the path.
fn collect_path(path: &Path, inputs: &mut Vec<Found>, walking: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    if !path.is_dir() {
        inputs.push(Found::named(Input::File(path.to_path_buf())));
        return Ok(());
    }
    let folder = std::fs::canonicalize(path).map_err(|e| io_error(path, e))?;
    if walking.contains(&folder) {
        return Ok(());
    }
    walking.push(folder.clone());
    let walked = collect_folder(path, &folder, inputs, walking);
    walking.pop();
    walked
}

/// Adds the files of the folder at `path` (`canonical` once links, `.` and
/// `..` are resolved), recursively, in name order, hidden ones left out, and
/// the own parts of a lake written by `ingest` (or being started: its lock
/// there) too: its Parquet files, manifest and lock are not log text (a lake
/// kept inside the folder it is fed from would otherwise be read as logs,
/// all of it rejected, by every run). The rest of a lake's folder is walked.
fn collect_folder(
    path: &Path,
    canonical: &Path,
    inputs: &mut Vec<Found>,
    walking: &mut Vec<PathBuf>,
) -> Result<(), SourceError> {
    let mut entries = std::fs::read_dir(path)
        .and_then(|dir| {
            dir.map(|e| e.and_then(|e| Ok((e.file_name(), e.file_type()?)))).collect::<io::Result<Vec<_>>>()
        })
        .map_err(|e| io_error(path, e))?;
    // By name, as whole paths would sort: they differ only there.
    entries.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    let lake = manifest::holds_lake(path);
    let left_out =
        |name: &std::ffi::OsStr| name.as_encoded_bytes().starts_with(b".") || lake && manifest::is_lake_part(name);
    for (name, kind) in entries.into_iter().filter(|(name, _)| !left_out(name)) {
        let entry = path.join(&name);
        // The listing tells files from folders without a stat of each; a
        // link is followed to learn which it is.
        if kind.is_file() {
            inputs.push(Found { input: Input::File(entry), identity: Some(canonical.join(&name)) });
        } else {
            collect_path(&entry, inputs, walking)?;
        }
    }
    Ok(())
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// The buffer that the magic bytes are peeked from, and that compressed
/// input is read through.
const PEEK_BUFFER: usize = 64 * 1024;

/// A log text, opened.
pub enum LogText {
    /// A regular file of plain text too large to be read whole, `len` bytes
    /// long when opened, to be mapped into memory.
    PlainFile { file: File, len: u64 },
    /// Plain text already in memory (a fetched object, a small file read
    /// whole), cut where it lies.
    InMemory(bytes::Bytes),
    /// Text read as a stream: stdin, pipes, decompressed files and objects.
    Stream(Box<dyn Read + Send>),
}

/// Opens a local input's log text, decompressing gzip (multi-member, as
/// concatenated log objects are) and zstd. A regular file of at most
/// `read_whole_up_to` bytes is read whole at once, as a fetched object is:
/// for many small files, the fewer calls to the system per file count.
pub fn open(input: &Input, read_whole_up_to: u64) -> Result<LogText, SourceError> {
    let path = match input {
        Input::Stdin => return Ok(LogText::Stream(decode(input.name(), Box::new(io::stdin()))?)),
        Input::File(path) => path,
        Input::Object(o) => {
            return Err(SourceError::Store {
                url: o.url.clone(),
                message: "remote objects are fetched, not opened".into(),
            });
        }
    };
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    let metadata = file.metadata().map_err(|e| io_error(path, e))?;
    let len = metadata.len();
    if !metadata.is_file() || len == 0 {
        return Ok(LogText::Stream(decode(input.name(), Box::new(file))?));
    }
    if len <= read_whole_up_to {
        let whole = read_exactly(&mut file, len).map_err(|e| io_error(path, e))?;
        return whole_text(input.name(), whole.into());
    }
    if starts_compressed(&mut file).map_err(|e| io_error(path, e))? {
        return Ok(LogText::Stream(decode(input.name(), Box::new(file))?));
    }
    Ok(LogText::PlainFile { file, len })
}

/// The first `len` bytes of `file`, in one read where the system allows,
/// into memory not zeroed first.
fn read_exactly(file: &mut File, len: u64) -> io::Result<Vec<u8>> {
    let mut whole = Vec::with_capacity(usize::try_from(len).map_err(io::Error::other)?);
    file.take(len).read_to_end(&mut whole)?;
    if (whole.len() as u64) < len {
        return Err(cut_shorter());
    }
    Ok(whole)
}

/// The error for a file found shorter than it was when opened.
pub fn cut_shorter() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the file was cut shorter while being read")
}

/// Whether `file` starts with gzip's or zstd's magic bytes; its position is
/// left at its start.
fn starts_compressed(file: &mut File) -> io::Result<bool> {
    let mut head = Vec::with_capacity(ZSTD_MAGIC.len());
    (&mut *file).take(ZSTD_MAGIC.len() as u64).read_to_end(&mut head)?;
    file.rewind()?;
    Ok(is_compressed(&head))
}

/// A fetched object's log text: plain text in memory as it lies, else
/// (compressed, or arriving) a stream, decoded.
pub fn fetched(name: String, body: Body) -> Result<LogText, SourceError> {
    match body {
        Body::Whole(bytes) => whole_text(name, bytes),
        Body::Arriving(reader) => Ok(LogText::Stream(decode(name, Box::new(reader))?)),
    }
}

/// The log text of a whole file or object in memory: as it lies when plain,
/// else decoded from it.
fn whole_text(name: String, bytes: bytes::Bytes) -> Result<LogText, SourceError> {
    if is_compressed(&bytes) {
        return Ok(LogText::Stream(decode(name, Box::new(io::Cursor::new(bytes)))?));
    }
    Ok(LogText::InMemory(bytes))
}

/// Whether text starting with `head` is gzip or zstd.
fn is_compressed(head: &[u8]) -> bool {
    head.starts_with(GZIP_MAGIC) || head.starts_with(ZSTD_MAGIC)
}

/// Log text of `raw`, decompressed by its magic bytes.
fn decode(name: String, raw: Box<dyn Read + Send>) -> Result<Box<dyn Read + Send>, SourceError> {
    let mut reader = BufReader::with_capacity(PEEK_BUFFER, raw);
    let head = reader.fill_buf().map_err(|source| SourceError::Io { path: name.clone(), source })?;
    Ok(if head.starts_with(GZIP_MAGIC) {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else if head.starts_with(ZSTD_MAGIC) {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(reader)
                .map_err(|source| SourceError::Io { path: name, source })?,
        )
    } else {
        // Plain text: the peeked bytes, then straight from the source, so
        // that the chunker's large reads are not copied through the buffer.
        let peeked = reader.buffer().to_vec();
        Box::new(io::Cursor::new(peeked).chain(reader.into_inner()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// How an input's text was opened.
    #[derive(Debug, PartialEq)]
    enum Opened {
        Mapped,
        InMemory,
        Streamed,
    }

    /// The input's text, and how it was opened when files of up to
    /// `read_whole_up_to` bytes are read whole.
    fn read_all(input: &Input, read_whole_up_to: u64) -> (String, Opened) {
        let mut s = String::new();
        let opened = match open(input, read_whole_up_to).unwrap() {
            LogText::PlainFile { mut file, .. } => {
                file.read_to_string(&mut s).unwrap();
                Opened::Mapped
            }
            LogText::InMemory(bytes) => {
                s = String::from_utf8(bytes.to_vec()).unwrap();
                Opened::InMemory
            }
            LogText::Stream(mut reader) => {
                reader.read_to_string(&mut s).unwrap();
                Opened::Streamed
            }
        };
        (s, opened)
    }

    #[test]
    fn a_file_read_whole_gives_the_length_it_had_when_opened_or_an_error_if_cut_shorter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "0123456789").unwrap();
        // Grown since its length was taken: the length taken is read.
        assert_eq!(read_exactly(&mut File::open(&path).unwrap(), 4).unwrap(), b"0123");
        assert_eq!(read_exactly(&mut File::open(&path).unwrap(), 10).unwrap(), b"0123456789");
        let cut = read_exactly(&mut File::open(&path).unwrap(), 16).unwrap_err();
        assert_eq!(cut.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(cut.to_string(), "the file was cut shorter while being read");
    }

    #[test]
    fn compression_is_detected_by_magic_bytes_and_small_files_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "line one\n").unwrap();
        let gz = dir.path().join("no-extension");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(b"gzipped\n").unwrap();
        enc.finish().unwrap();
        let zst = dir.path().join("zst.log");
        std::fs::write(&zst, zstd::encode_all(&b"zstd text\n"[..], 1).unwrap()).unwrap();
        let empty = dir.path().join("empty.log");
        std::fs::write(&empty, "").unwrap();
        let text = |s: &str, opened| (s.to_string(), opened);
        // "line one\n" is 9 bytes: read whole from 9 up, mapped below; the
        // compressed files are decoded whether read whole or not.
        for whole_up_to in [0, 8, 9, u64::MAX] {
            let plain_opened = if whole_up_to >= 9 { Opened::InMemory } else { Opened::Mapped };
            assert_eq!(read_all(&Input::File(plain.clone()), whole_up_to), text("line one\n", plain_opened));
            assert_eq!(read_all(&Input::File(gz.clone()), whole_up_to), text("gzipped\n", Opened::Streamed));
            assert_eq!(read_all(&Input::File(zst.clone()), whole_up_to), text("zstd text\n", Opened::Streamed));
            assert_eq!(read_all(&Input::File(empty.clone()), whole_up_to), text("", Opened::Streamed));
        }
    }

    #[test]
    fn the_same_file_by_other_names_is_kept_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("logs/old")).unwrap();
        for f in ["logs/a.log", "logs/old/b.log"] {
            std::fs::write(root.join(f), "x\n").unwrap();
        }
        std::os::unix::fs::symlink(root.join("logs"), root.join("folder-link")).unwrap();
        std::os::unix::fs::symlink(root.join("logs/a.log"), root.join("logs/old/file-link")).unwrap();
        std::os::unix::fs::symlink(root.join("logs"), root.join("logs/old/up")).unwrap();
        let file = |p: &str| Input::File(root.join(p));
        let named = vec![
            file("logs/a.log"),
            file("logs/old/../a.log"),
            file("folder-link/a.log"),
            file("logs/old/file-link"),
            file("folder-link/old/b.log"),
            file("logs/old/b.log"),
            Input::File("Cargo.toml".into()),
            Input::File("./Cargo.toml".into()),
        ];
        let kept: Vec<_> =
            each_once(named.into_iter().map(Found::named).collect()).iter().map(|f| f.input.name()).collect();
        let name = |p: &str| root.join(p).display().to_string();
        assert_eq!(kept, [name("logs/a.log"), name("folder-link/old/b.log"), "Cargo.toml".into()]);
        // A link inside a folder is followed, and walked when it leads to a
        // folder, unless that folder is being walked already (`old/up`).
        let walked = resolve_inputs(&[name("folder-link")]).unwrap();
        let names: Vec<_> = walked.iter().map(Input::name).collect();
        assert_eq!(
            names,
            [name("folder-link/a.log"), name("folder-link/old/b.log"), name("folder-link/old/file-link")]
        );
        // Files a walk lists carry their identity; the link among them, the
        // file named and the files of the second walk are found to be the
        // files walked first.
        let mut found = Vec::new();
        for arg in ["folder-link", "logs/old/../a.log", "logs"] {
            resolve_local(&name(arg), &mut found).unwrap();
        }
        let known: Vec<_> = found.iter().filter(|f| f.identity.is_some()).map(|f| f.input.name()).collect();
        assert_eq!(
            known,
            [name("folder-link/a.log"), name("folder-link/old/b.log"), name("logs/a.log"), name("logs/old/b.log")]
        );
        let kept = each_once(found);
        let kept_names: Vec<_> = kept.iter().map(|f| f.input.name()).collect();
        assert_eq!(kept_names, [name("folder-link/a.log"), name("folder-link/old/b.log")]);
        // Known by the files' own canonical paths, as a lake's manifest
        // names them.
        let identities: Vec<_> = kept.iter().map(|f| f.identity.clone()).collect();
        let canonical = |p: &str| std::fs::canonicalize(root.join(p)).unwrap().display().to_string();
        assert_eq!(identities, [canonical("logs/a.log"), canonical("logs/old/b.log")]);
    }

    #[test]
    fn folders_are_walked_recursively_in_order_and_globs_expand() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        for f in ["a.log", "b/c/d.log", "b/e.log", ".hidden"] {
            std::fs::write(dir.path().join(f), "x\n").unwrap();
        }
        let inputs = resolve_inputs(&[dir.path().display().to_string()]).unwrap();
        let names: Vec<_> = inputs.iter().map(|i| i.name()).collect();
        let root = dir.path().display().to_string();
        assert_eq!(names, [format!("{root}/a.log"), format!("{root}/b/c/d.log"), format!("{root}/b/e.log")]);
        // A lake inside the folder is not log text, nor one whose first
        // ingest is under way (its lock there, its manifest not yet); the
        // raw logs kept beside a lake's own files are.
        std::fs::create_dir_all(dir.path().join("b/lake/date=2026-11-20")).unwrap();
        std::fs::write(dir.path().join("b/lake").join(manifest::MANIFEST_FILE), "{}").unwrap();
        std::fs::write(dir.path().join("b/lake/date=2026-11-20/part-1.parquet"), "PAR1").unwrap();
        std::fs::create_dir(dir.path().join("started")).unwrap();
        std::fs::write(dir.path().join("started").join(manifest::LOCK_FILE), "42").unwrap();
        std::fs::write(dir.path().join("started/x.log"), "x\n").unwrap();
        let inputs = resolve_inputs(&[dir.path().display().to_string()]).unwrap();
        let names: Vec<_> = inputs.iter().map(|i| i.name()).collect();
        let expected = ["a.log", "b/c/d.log", "b/e.log", "started/x.log"].map(|f| format!("{root}/{f}"));
        assert_eq!(names, expected);
        let globbed = resolve_inputs(&[format!("{root}/b/*.log")]).unwrap();
        assert_eq!(globbed, [Input::File(dir.path().join("b/e.log"))]);
        let globbed = resolve_inputs(&[format!("{root}/started/*")]).unwrap();
        assert_eq!(globbed, [Input::File(dir.path().join("started/x.log"))]);
        // Nor is a lake that a glob matches, or a file inside one.
        let globbed = resolve_inputs(&[format!("{root}/b/*")]).unwrap();
        assert_eq!(globbed, [Input::File(dir.path().join("b/c/d.log")), Input::File(dir.path().join("b/e.log"))]);
        let globbed = resolve_inputs(&[format!("{root}/*/*/*")]).unwrap();
        assert_eq!(globbed, [Input::File(dir.path().join("b/c/d.log"))]);
        let only_lake = resolve_inputs(&[format!("{root}/b/lake/date=*/*.parquet")]).unwrap_err();
        let lake = dir.path().join("b/lake").display().to_string();
        assert_eq!(
            only_lake.to_string(),
            format!(
                "glob pattern `{root}/b/lake/date=*/*.parquet` matches only the lake {lake} or its files \
                 (give the lake's folder alone to query it)"
            )
        );
        let lake_itself = resolve_inputs(&[format!("{root}/b/la*")]);
        assert!(matches!(&lake_itself, Err(SourceError::OnlyLake { lake: l, .. }) if *l == lake), "{lake_itself:?}");
        assert!(matches!(resolve_inputs(&[format!("{root}/zz*")]), Err(SourceError::NoMatch { .. })));
        assert!(matches!(resolve_inputs(&[format!("{root}/missing")]), Err(SourceError::NotFound { .. })));
    }
}
