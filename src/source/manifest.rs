//! The manifest of a Parquet lake written by `s3logq ingest`: which source
//! objects were ingested (name, size, modification time) and which data
//! files hold their records. It is the lake's commit log: a data file exists
//! for readers only once the manifest names it.
//!
//! A commit costs what it adds, not what the lake holds: it appends one line
//! to the checkpoint's log and syncs it. Once the log would outgrow the
//! checkpoint (`_s3logq_manifest.json`), the commit writes the whole
//! manifest as a new checkpoint instead (write, fsync, rename), which starts
//! a log of its own, and the old log is deleted. Commits are numbered, and a
//! checkpoint's log is named by its number (`_s3logq_manifest.<N>.log`), so
//! that a reader which loaded a checkpoint just replaced never reads the
//! next one's log: it sees the lake as of its checkpoint (the old log gone)
//! or later (the old log still there). Loading ignores a last line cut
//! short by a kill (never committed). Checkpoints of version 1, written
//! before the log existed, still load; the next commit upgrades them.
//! Readers load only the files ([`LakeFiles`]): the checkpoint and every
//! commit say how many sources the lake holds and how many of their lines
//! ingest rejected, so the sources' entries are skipped, not built.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a lake's folder of one day's data files is named: `date=YYYY-MM-DD`.
pub const DATE_FOLDER_PREFIX: &str = "date=";
/// How every file of a lake's own (not its data files) is named.
const OWN_FILE_PREFIX: &str = "_s3logq_";
/// The checkpoint's file name inside the lake folder.
pub const MANIFEST_FILE: &str = "_s3logq_manifest.json";
/// The file a writer locks, inside the lake; it holds the writer's pid.
pub const LOCK_FILE: &str = "_s3logq_ingest.lock";
/// Logs of commits after a checkpoint, one JSON line each:
/// `<prefix><N><suffix>` for the checkpoint of commit N.
const LOG_PREFIX: &str = "_s3logq_manifest.";
const LOG_SUFFIX: &str = ".log";
/// 1: one whole checkpoint, each source listing its files in full.
/// 2: a checkpoint listing each file once, and the log.
const VERSION: u32 = 2;

/// Appended to a data file's name while it is written: the writer renames
/// it to its path once the commit naming it is in the manifest.
const PENDING_SUFFIX: &str = ".tmp";

/// Where the data file `rel` of the lake `dir` lies until its commit is
/// carried out: `date=…/.part-….parquet.tmp`. The leading dot hides it from
/// the engines `s3logq ddl` writes for (Athena, Trino and Spark read every
/// file of a partition's folder but hidden ones; DuckDB reads `*.parquet`).
pub fn pending_path(dir: &Path, rel: &str) -> PathBuf {
    let (folder, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    dir.join(folder).join(format!(".{name}{PENDING_SUFFIX}"))
}

/// Where earlier writers, which did not hide pending files, wrote `rel`
/// until its commit was carried out (`date=…/part-….parquet.tmp`): a lake
/// such a writer was stopped in still opens.
fn unhidden_pending_path(dir: &Path, rel: &str) -> PathBuf {
    dir.join(format!("{rel}{PENDING_SUFFIX}"))
}

/// The log of the checkpoint of commit `commits` in the lake `dir`.
fn log_path(dir: &Path, commits: u64) -> PathBuf {
    dir.join(format!("{LOG_PREFIX}{commits}{LOG_SUFFIX}"))
}

/// One Parquet data file of the lake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LakeFile {
    /// Relative to the lake: `date=YYYY-MM-DD/part-….parquet`.
    pub path: String,
    pub rows: u64,
    /// Smallest and largest record time in the file (µs since the epoch).
    pub min_time: i64,
    pub max_time: i64,
}

impl LakeFile {
    /// Whether the file's time range meets `[since, until)`.
    fn meets(&self, since: Option<i64>, until: Option<i64>) -> bool {
        since.is_none_or(|s| self.max_time >= s) && until.is_none_or(|u| self.min_time < u)
    }
}

/// One ingested source object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (or an ETag's hash).
    pub modified: i128,
    pub rows: u64,
    pub rejected: u64,
    /// The files holding its records, which may hold other sources' too.
    pub files: Vec<LakeFile>,
    /// Its `source_file` in the records, where that is not its name here (a
    /// local file is named by its canonical path, its records by the path
    /// it was given as).
    pub source_file: Option<String>,
    /// Only its lines before a break in reading it are held
    /// (`--skip-failed-objects`): the next run reads it again.
    pub incomplete: bool,
}

/// The committed state of a lake, and where its log stands.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Read here; entered only by a commit, which keeps `naming` in step.
    pub sources: BTreeMap<String, SourceEntry>,
    /// Every committed data file.
    files: FileMap,
    /// How many sources name each committed file: so that a commit finds
    /// the files no source names any more, and a writer whether a changed
    /// source shares a file with others, without a pass over every source.
    naming: HashMap<String, usize>,
    /// How many of the sources' lines ingest rejected, kept in step as
    /// `naming` is.
    rejected_lines: u64,
    /// Commits made since the lake was created (0 for a version 1 one).
    commits: u64,
    /// The commit the checkpoint was written at, which names its log.
    checkpoint_commits: u64,
    /// Bytes of the checkpoint, 0 where there is none or it is version 1
    /// (the next commit writes a checkpoint then).
    checkpoint_bytes: u64,
    /// Bytes of the log's whole lines; a torn last line lies after them.
    log_bytes: u64,
}

/// What readers of a lake need of its manifest: every committed data file,
/// by path, how many sources they hold, and how many of those sources'
/// lines ingest rejected.
#[derive(Debug, Clone, Default)]
pub struct LakeFiles {
    files: FileMap,
    sources: u64,
    rejected_lines: u64,
}

/// Committed data files, by path.
type FileMap = BTreeMap<String, LakeFile>;

/// Lists `added` files, as listed on disk, in `files`.
fn add_files(files: &mut FileMap, added: BTreeMap<String, FileStats>) {
    files.extend(added.into_iter().map(|(path, stats)| (path.clone(), stats.at(path))));
}

fn drop_files(files: &mut FileMap, dropped: &[String]) {
    for path in dropped {
        files.remove(path);
    }
}

/// What a commit changed on disk: the files it names for the first time,
/// and those no source names any more.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Committed {
    pub added: Vec<String>,
    pub dropped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not an s3logq lake manifest: {source}")]
    Format { path: String, source: serde_json::Error },
    #[error("{path}:{line}: not a commit of an s3logq lake manifest: {source}")]
    LogLine { path: String, line: usize, source: serde_json::Error },
    #[error("{path}: the lake's manifest is damaged: {detail}")]
    Damaged { path: String, detail: String },
    #[error("{path}: manifest version {found} is newer than this s3logq understands ({VERSION})")]
    Version { path: String, found: u32 },
    #[error(
        "{path}: the lake's manifest commits this data file but it is missing, so its records cannot be read; \
         restore it, or delete the lake and ingest its sources again"
    )]
    MissingFile { path: String },
}

/// True when `dir` holds a lake.
pub fn is_lake(dir: &Path) -> bool {
    dir.join(MANIFEST_FILE).is_file()
}

/// True when `dir` holds a lake or one being started: a writer's lock is
/// there before its first commit writes the manifest.
pub fn holds_lake(dir: &Path) -> bool {
    is_lake(dir) || dir.join(LOCK_FILE).is_file()
}

/// True when `name`, an entry of a lake's folder, is the lake's own: a
/// `date=` folder of data files, or a `_s3logq_` file (the manifest, its
/// log, the lock). Whatever else the folder holds (the raw logs of a lake
/// kept in the folder it is fed from) is not.
pub fn is_lake_part(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    name.starts_with(DATE_FOLDER_PREFIX.as_bytes()) || name.starts_with(OWN_FILE_PREFIX.as_bytes())
}

/// True when the command-line input `arg` (a path, or a `file://` URL) is
/// a lake.
pub fn names_a_lake(arg: &str) -> bool {
    is_lake(Path::new(super::local_arg(arg)))
}

/// A file's entry on disk: its path is the key it is listed under.
#[derive(Debug, Serialize, Deserialize)]
struct FileStats {
    rows: u64,
    min_time: i64,
    max_time: i64,
}

impl FileStats {
    fn of(file: &LakeFile) -> FileStats {
        FileStats { rows: file.rows, min_time: file.min_time, max_time: file.max_time }
    }

    fn at(self, path: String) -> LakeFile {
        LakeFile { path, rows: self.rows, min_time: self.min_time, max_time: self.max_time }
    }
}

/// How a source names a file on disk: by path (version 2), or in full
/// (version 1). Read by the JSON value's kind (a string or an object),
/// without the buffering of an untagged enum: a lake's checkpoint names
/// about one file per source, and may hold millions of sources.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum FileRef {
    Path(String),
    Whole(LakeFile),
}

impl<'de> Deserialize<'de> for FileRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FileRef, D::Error> {
        struct FileRefVisitor;
        impl<'de> Visitor<'de> for FileRefVisitor {
            type Value = FileRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a data file's path, or its entry")
            }
            fn visit_str<E: de::Error>(self, path: &str) -> Result<FileRef, E> {
                Ok(FileRef::Path(path.to_owned()))
            }
            fn visit_string<E: de::Error>(self, path: String) -> Result<FileRef, E> {
                Ok(FileRef::Path(path))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FileRef, A::Error> {
                LakeFile::deserialize(MapAccessDeserializer::new(map)).map(FileRef::Whole)
            }
        }
        deserializer.deserialize_any(FileRefVisitor)
    }
}

/// A source's entry on disk.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSource {
    size: u64,
    modified: i128,
    rows: u64,
    rejected: u64,
    files: Vec<FileRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_file: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    incomplete: bool,
}

impl StoredSource {
    fn of(entry: &SourceEntry) -> StoredSource {
        StoredSource {
            size: entry.size,
            modified: entry.modified,
            rows: entry.rows,
            rejected: entry.rejected,
            files: entry.files.iter().map(|f| FileRef::Path(f.path.clone())).collect(),
            source_file: entry.source_file.clone(),
            incomplete: entry.incomplete,
        }
    }
}

/// Sources' entries on disk, by name, in the order written: a JSON object
/// read as a list, so that loading a checkpoint (written in name order)
/// builds the map of its sources once, in bulk, rather than entry by entry.
#[derive(Debug, Default)]
struct Sources(Vec<(String, StoredSource)>);

impl Serialize for Sources {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, source)| (name, source)))
    }
}

impl<'de> Deserialize<'de> for Sources {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Sources, D::Error> {
        struct SourcesVisitor;
        impl<'de> Visitor<'de> for SourcesVisitor {
            type Value = Sources;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("sources' entries by name")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sources, A::Error> {
                let mut sources = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    sources.push(entry);
                }
                Ok(Sources(sources))
            }
        }
        deserializer.deserialize_map(SourcesVisitor)
    }
}

/// The manifest's sources as a checkpoint writes them: each entry in its
/// form on disk as it is written, rather than all of them copied first.
struct SourcesOf<'a>(&'a BTreeMap<String, SourceEntry>);

impl Serialize for SourcesOf<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, entry)| (name, StoredSource::of(entry))))
    }
}

/// The whole manifest as of commit `commits`; readers load it with `S`
/// [`IgnoredAny`], skipping the sources' entries.
#[derive(Debug, Serialize, Deserialize)]
struct Checkpoint<S> {
    version: u32,
    #[serde(default)]
    commits: u64,
    /// How many sources there are (not written by version 1).
    #[serde(default)]
    source_count: u64,
    /// How many of their lines ingest rejected (not written before
    /// 2026-11-25; readers then count them from the sources' entries).
    #[serde(default)]
    rejected_lines: Option<u64>,
    #[serde(default)]
    files: BTreeMap<String, FileStats>,
    sources: S,
}

/// One line of the log: what commit number `commit` changed; readers load
/// it with `S` [`IgnoredAny`].
#[derive(Debug, Default, Serialize, Deserialize)]
struct CommitRecord<S> {
    commit: u64,
    /// How many sources there are after it.
    source_count: u64,
    /// How many of their lines ingest rejected, after it (as in [`Checkpoint`]).
    #[serde(default)]
    rejected_lines: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    added_files: BTreeMap<String, FileStats>,
    /// Entries of new and changed sources, which replace those they had.
    sources: S,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dropped_files: Vec<String>,
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ManifestError + '_ {
    move |source| ManifestError::Io { path: path.display().to_string(), source }
}

/// The bytes of `path`, or none when it does not exist.
fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, ManifestError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// The checkpoint of `dir` as `T`, and its size; none when there is none.
fn read_checkpoint<T: DeserializeOwned>(dir: &Path) -> Result<Option<(T, usize)>, ManifestError> {
    let path = dir.join(MANIFEST_FILE);
    let Some(text) = read_if_exists(&path)? else { return Ok(None) };
    let checkpoint = serde_json::from_slice(&text)
        .map_err(|source| ManifestError::Format { path: path.display().to_string(), source })?;
    Ok(Some((checkpoint, text.len())))
}

fn newer_than_known(dir: &Path, version: u32) -> Result<(), ManifestError> {
    match version > VERSION {
        true => Err(ManifestError::Version { path: dir.join(MANIFEST_FILE).display().to_string(), found: version }),
        false => Ok(()),
    }
}

/// Hands `apply` each commit of the log of the checkpoint of commit
/// `*commits` in `dir`, in order, up to a last line cut short (a commit
/// that never finished), counting them in `*commits`. Returns the bytes of
/// the log's whole lines; none when there is no log (no commit since, or
/// a newer checkpoint replaced this one meanwhile).
fn replay<S: DeserializeOwned>(
    dir: &Path,
    commits: &mut u64,
    mut apply: impl FnMut(CommitRecord<S>, &Path) -> Result<(), ManifestError>,
) -> Result<u64, ManifestError> {
    let path = log_path(dir, *commits);
    let Some(log) = read_if_exists(&path)? else { return Ok(0) };
    let mut whole_lines = 0;
    for (number, line) in log.split_inclusive(|&b| b == b'\n').enumerate() {
        if line.last() != Some(&b'\n') {
            break;
        }
        whole_lines += line.len();
        let commit: CommitRecord<S> = serde_json::from_slice(line).map_err(|source| ManifestError::LogLine {
            path: path.display().to_string(),
            line: number + 1,
            source,
        })?;
        if commit.commit != *commits + 1 {
            let detail = format!("commit {} follows commit {}", commit.commit, commits);
            return Err(ManifestError::Damaged { path: path.display().to_string(), detail });
        }
        *commits += 1;
        apply(commit, &path)?;
    }
    Ok(whole_lines as u64)
}

/// Deletes the logs in `dir` other than `current`.
fn remove_logs_but(dir: &Path, current: &Path) -> Result<(), ManifestError> {
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_log = name.strip_prefix(LOG_PREFIX).and_then(|n| n.strip_suffix(LOG_SUFFIX));
        if is_log.is_some_and(|n| n.parse::<u64>().is_ok()) && entry.path() != current {
            std::fs::remove_file(entry.path()).map_err(io_error(&entry.path()))?;
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), ManifestError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error(dir))
}

impl Manifest {
    /// The manifest of `dir`, empty when there is none yet: its checkpoint,
    /// then the commits logged after it.
    pub fn load(dir: &Path) -> Result<Manifest, ManifestError> {
        let Some((checkpoint, bytes)) = read_checkpoint::<Checkpoint<Sources>>(dir)? else {
            return Ok(Manifest::default());
        };
        newer_than_known(dir, checkpoint.version)?;
        let mut manifest = Manifest {
            commits: checkpoint.commits,
            checkpoint_commits: checkpoint.commits,
            checkpoint_bytes: if checkpoint.version < VERSION { 0 } else { bytes as u64 },
            ..Manifest::default()
        };
        add_files(&mut manifest.files, checkpoint.files);
        let path = dir.join(MANIFEST_FILE);
        let mut sources = Vec::with_capacity(checkpoint.sources.0.len());
        for (name, stored) in checkpoint.sources.0 {
            sources.push((name, manifest.resolve(stored, &path)?));
        }
        manifest.enter_checkpoint(sources);
        let mut commits = manifest.commits;
        manifest.log_bytes = replay(dir, &mut commits, |record: CommitRecord<Sources>, path| {
            add_files(&mut manifest.files, record.added_files);
            for (name, stored) in record.sources.0 {
                let entry = manifest.resolve(stored, path)?;
                manifest.put(name, entry);
            }
            drop_files(&mut manifest.files, &record.dropped_files);
            Ok(())
        })?;
        manifest.commits = commits;
        Ok(manifest)
    }

    /// A source's entry from its form on disk: the files it names by path
    /// must be listed; those it holds whole (version 1) are listed.
    fn resolve(&mut self, stored: StoredSource, path: &Path) -> Result<SourceEntry, ManifestError> {
        let mut files = Vec::with_capacity(stored.files.len());
        for file in stored.files {
            match file {
                FileRef::Path(name) => match self.files.get(&name) {
                    Some(file) => files.push(file.clone()),
                    None => {
                        let detail = format!("a source names the file {name}, which it does not list");
                        return Err(ManifestError::Damaged { path: path.display().to_string(), detail });
                    }
                },
                FileRef::Whole(file) => {
                    self.files.insert(file.path.clone(), file.clone());
                    files.push(file);
                }
            }
        }
        let StoredSource { size, modified, rows, rejected, source_file, incomplete, .. } = stored;
        Ok(SourceEntry { size, modified, rows, rejected, files, source_file, incomplete })
    }

    /// Commits `entries`, new sources and new entries of changed ones, in
    /// the lake `dir`: a line appended to the log, or a new checkpoint once
    /// the log would outgrow the one there is. Says which files are new
    /// and which no source names any more.
    pub fn commit(&mut self, dir: &Path, entries: Vec<(String, SourceEntry)>) -> Result<Committed, ManifestError> {
        let record = self.enter(entries);
        let mut line =
            serde_json::to_vec(&record).map_err(|e| io_error(&log_path(dir, self.checkpoint_commits))(e.into()))?;
        line.push(b'\n');
        if self.checkpoint_bytes == 0 || self.log_bytes + line.len() as u64 > self.checkpoint_bytes {
            self.write_checkpoint(dir)?;
        } else {
            self.append(dir, &line)?;
        }
        Ok(Committed { added: record.added_files.into_keys().collect(), dropped: record.dropped_files })
    }

    /// Enters `entries` as the next commit, in memory; returns its record.
    fn enter(&mut self, entries: Vec<(String, SourceEntry)>) -> CommitRecord<Sources> {
        let mut record = CommitRecord::<Sources> { commit: self.commits + 1, ..CommitRecord::default() };
        let mut replaced = BTreeSet::new();
        for (name, entry) in entries {
            for file in &entry.files {
                if !self.files.contains_key(&file.path) {
                    record.added_files.insert(file.path.clone(), FileStats::of(file));
                    self.files.insert(file.path.clone(), file.clone());
                }
            }
            record.sources.0.push((name.clone(), StoredSource::of(&entry)));
            if let Some(old) = self.put(name, entry) {
                replaced.extend(old.files.into_iter().map(|f| f.path));
            }
        }
        record.dropped_files = replaced.into_iter().filter(|f| self.sources_naming(f) == 0).collect();
        drop_files(&mut self.files, &record.dropped_files);
        record.source_count = self.sources.len() as u64;
        record.rejected_lines = Some(self.rejected_lines);
        self.commits = record.commit;
        record
    }

    /// Enters a checkpoint's `sources` (in name order, as written) in bulk,
    /// and counts the files each names and its rejected lines.
    fn enter_checkpoint(&mut self, sources: Vec<(String, SourceEntry)>) {
        self.sources = sources.into_iter().collect();
        for entry in self.sources.values() {
            Self::count_naming(&mut self.naming, entry);
            self.rejected_lines += entry.rejected;
        }
    }

    /// Counts the files `entry` names in `naming`.
    fn count_naming(naming: &mut HashMap<String, usize>, entry: &SourceEntry) {
        for file in &entry.files {
            // Looked up before it is entered: most files are named already,
            // and their paths need no copy.
            match naming.get_mut(&file.path) {
                Some(count) => *count += 1,
                None => {
                    naming.insert(file.path.clone(), 1);
                }
            }
        }
    }

    /// Enters `entry` as `name`'s, counting the files it names and its
    /// rejected lines in place of those of the entry it replaces, which it
    /// returns.
    fn put(&mut self, name: String, entry: SourceEntry) -> Option<SourceEntry> {
        Self::count_naming(&mut self.naming, &entry);
        self.rejected_lines += entry.rejected;
        let old = self.sources.insert(name, entry)?;
        self.rejected_lines -= old.rejected;
        for file in &old.files {
            if let Some(count) = self.naming.get_mut(&file.path) {
                *count -= 1;
                if *count == 0 {
                    self.naming.remove(&file.path);
                }
            }
        }
        Some(old)
    }

    /// How many sources name the committed file `path`.
    pub fn sources_naming(&self, path: &str) -> usize {
        self.naming.get(path).copied().unwrap_or(0)
    }

    /// Appends a commit's line to the log (after its whole lines: a torn
    /// one is cut off) and syncs it.
    fn append(&mut self, dir: &Path, line: &[u8]) -> Result<(), ManifestError> {
        let path = log_path(dir, self.checkpoint_commits);
        let io = io_error(&path);
        let mut log = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
        let written = log
            .set_len(self.log_bytes)
            .and_then(|()| log.seek(SeekFrom::Start(self.log_bytes)))
            .and_then(|_| log.write_all(line))
            .and_then(|()| log.sync_data());
        written.map_err(io_error(&path))?;
        if self.log_bytes == 0 {
            sync_dir(dir)?;
        }
        self.log_bytes += line.len() as u64;
        Ok(())
    }

    /// Replaces the checkpoint of `dir` atomically with the whole manifest,
    /// then deletes the old checkpoint's log (and any other a run killed
    /// here left).
    fn write_checkpoint(&mut self, dir: &Path) -> Result<(), ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let tmp = dir.join(format!("{MANIFEST_FILE}.tmp"));
        let io = |source| ManifestError::Io { path: path.display().to_string(), source };
        let checkpoint = Checkpoint {
            version: VERSION,
            commits: self.commits,
            source_count: self.sources.len() as u64,
            rejected_lines: Some(self.rejected_lines),
            files: self.files.iter().map(|(p, f)| (p.clone(), FileStats::of(f))).collect(),
            sources: SourcesOf(&self.sources),
        };
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp).map_err(io)?);
        serde_json::to_writer(&mut out, &checkpoint).map_err(|e| io(e.into()))?;
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        let bytes = file.metadata().map_err(io)?.len();
        std::fs::rename(&tmp, &path).map_err(io)?;
        sync_dir(dir)?;
        self.checkpoint_commits = self.commits;
        remove_logs_but(dir, &log_path(dir, self.commits))?;
        self.checkpoint_bytes = bytes;
        self.log_bytes = 0;
        Ok(())
    }

    /// Every committed data file.
    pub fn files(&self) -> impl Iterator<Item = &LakeFile> {
        self.files.values()
    }

    pub fn rows(&self) -> u64 {
        self.sources.values().map(|s| s.rows).sum()
    }
}

impl LakeFiles {
    /// The committed files of the lake `dir` (none when there is no lake),
    /// read without building the sources' entries.
    pub fn load(dir: &Path) -> Result<LakeFiles, ManifestError> {
        let Some((checkpoint, _)) = read_checkpoint::<Checkpoint<IgnoredAny>>(dir)? else {
            return Ok(LakeFiles::default());
        };
        newer_than_known(dir, checkpoint.version)?;
        if checkpoint.version < VERSION {
            // Files listed only inside the sources' entries.
            return Ok(LakeFiles::of(Manifest::load(dir)?));
        }
        let mut lake = LakeFiles { files: FileMap::new(), sources: checkpoint.source_count, rejected_lines: 0 };
        let mut rejected_lines = checkpoint.rejected_lines;
        add_files(&mut lake.files, checkpoint.files);
        let mut commits = checkpoint.commits;
        replay(dir, &mut commits, |commit: CommitRecord<IgnoredAny>, _| {
            add_files(&mut lake.files, commit.added_files);
            drop_files(&mut lake.files, &commit.dropped_files);
            lake.sources = commit.source_count;
            rejected_lines = commit.rejected_lines;
            Ok(())
        })?;
        match rejected_lines {
            Some(rejected_lines) => Ok(LakeFiles { rejected_lines, ..lake }),
            // Written before commits counted them: from the sources' entries.
            None => Ok(LakeFiles::of(Manifest::load(dir)?)),
        }
    }

    fn of(manifest: Manifest) -> LakeFiles {
        LakeFiles {
            sources: manifest.sources.len() as u64,
            files: manifest.files,
            rejected_lines: manifest.rejected_lines,
        }
    }

    /// How many sources the files hold records of.
    pub fn sources(&self) -> u64 {
        self.sources
    }

    /// How many lines of those sources ingest rejected.
    pub fn rejected_lines(&self) -> u64 {
        self.rejected_lines
    }

    pub fn files(&self) -> impl Iterator<Item = &LakeFile> {
        self.files.values()
    }

    /// The committed data files that may hold records in `[since, until)`.
    pub fn files_meeting(&self, since: Option<i64>, until: Option<i64>) -> impl Iterator<Item = &LakeFile> {
        self.files().filter(move |f| f.meets(since, until))
    }

    /// The committed data files all of whose records lie outside
    /// `[since, until)`: those [`LakeFiles::files_meeting`] leaves out.
    pub fn files_missing(&self, since: Option<i64>, until: Option<i64>) -> impl Iterator<Item = &LakeFile> {
        self.files().filter(move |f| !f.meets(since, until))
    }

    /// Where [`LakeFiles::files_meeting`] lie in the lake `dir`. A file whose
    /// commit a writer has not yet carried out (it is between the two, or was
    /// killed there) is read under its pending name; one under neither name
    /// is an error, rather than records silently left out of answers.
    pub fn files_in(&self, dir: &Path, since: Option<i64>, until: Option<i64>) -> Result<Vec<PathBuf>, ManifestError> {
        self.files_meeting(since, until).map(|f| locate(dir, &f.path)).collect()
    }
}

/// Where the committed data file `rel` lies in the lake `dir`: at its path,
/// or still at a pending one. The path is looked at again last, in case the
/// writer renamed the file between the looks.
pub fn locate(dir: &Path, rel: &str) -> Result<PathBuf, ManifestError> {
    let path = dir.join(rel);
    if path.is_file() {
        return Ok(path);
    }
    [pending_path(dir, rel), unhidden_pending_path(dir, rel), path.clone()]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| ManifestError::MissingFile { path: path.display().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, min_time: i64, max_time: i64) -> LakeFile {
        LakeFile { path: path.into(), rows: 1, min_time, max_time }
    }

    fn source(files: &[&LakeFile]) -> SourceEntry {
        let files = files.iter().map(|f| (*f).clone()).collect();
        SourceEntry { size: 10, modified: 5, rows: 2, rejected: 0, files, source_file: None, incomplete: false }
    }

    /// The logs in `dir`, by name, with how many lines each holds.
    fn logs(dir: &Path) -> BTreeMap<String, usize> {
        let names = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
        let logs = names.filter(|n| n.starts_with(LOG_PREFIX) && n.ends_with(LOG_SUFFIX));
        logs.map(|n| (n.clone(), std::fs::read_to_string(dir.join(&n)).unwrap().lines().count())).collect()
    }

    fn log_lines(dir: &Path) -> usize {
        logs(dir).values().sum()
    }

    /// The loaded manifest's sources and files, to compare with the one
    /// that committed them; a reader's load finds the same files.
    fn committed(m: &Manifest) -> (BTreeMap<String, SourceEntry>, Vec<LakeFile>) {
        (m.sources.clone(), m.files().cloned().collect())
    }

    /// The manifest of `dir` as the writer loads it, checked against what
    /// a reader loads.
    fn load(dir: &Path) -> Manifest {
        let manifest = Manifest::load(dir).unwrap();
        let files = LakeFiles::load(dir).unwrap();
        assert_eq!(files.files().collect::<Vec<_>>(), manifest.files().collect::<Vec<_>>());
        assert_eq!(files.sources(), manifest.sources.len() as u64);
        let rejected_lines = manifest.sources.values().map(|s| s.rejected).sum::<u64>();
        assert_eq!((files.rejected_lines(), manifest.rejected_lines), (rejected_lines, rejected_lines));
        manifest
    }

    #[test]
    fn a_lakes_own_files_are_told_from_the_raw_logs_beside_them() {
        let dir = Path::new("lake");
        let own = [MANIFEST_FILE.into(), LOCK_FILE.into(), log_path(dir, 7), "date=2026-11-20".into()];
        for name in own {
            let name: PathBuf = name.file_name().map(PathBuf::from).unwrap_or(name);
            assert!(is_lake_part(name.as_os_str()), "{name:?}");
        }
        for raw in ["2026-11-20-09-30-12-4C9F3A7E21B8D650", "logs", "manifest.json", "dated=1"] {
            assert!(!is_lake_part(std::ffi::OsStr::new(raw)), "{raw}");
        }
    }

    #[test]
    fn committed_files_are_read_under_their_pending_names_until_renamed_and_missing_ones_fail() {
        let dir = tempfile::tempdir().unwrap();
        let (p1, p2) = (file("date=2026-11-20/p1.parquet", 10, 20), file("date=2026-11-21/p2.parquet", 30, 40));
        Manifest::default().commit(dir.path(), vec![("a.log".into(), source(&[&p1, &p2]))]).unwrap();
        for f in [&p1, &p2] {
            std::fs::create_dir_all(dir.path().join(&f.path).parent().unwrap()).unwrap();
        }
        // The writer was stopped after the commit, before its renames.
        std::fs::write(dir.path().join(&p1.path), "").unwrap();
        std::fs::write(pending_path(dir.path(), &p2.path), "").unwrap();
        let files = LakeFiles::load(dir.path()).unwrap();
        let found = files.files_in(dir.path(), None, None).unwrap();
        assert_eq!(found, [dir.path().join(&p1.path), dir.path().join("date=2026-11-21/.p2.parquet.tmp")]);
        // Or by a writer that did not hide its pending files yet.
        std::fs::rename(pending_path(dir.path(), &p2.path), dir.path().join("date=2026-11-21/p2.parquet.tmp")).unwrap();
        let found = files.files_in(dir.path(), None, None).unwrap();
        assert_eq!(found[1], dir.path().join("date=2026-11-21/p2.parquet.tmp"));
        std::fs::remove_file(&found[1]).unwrap();
        assert_eq!(files.files_in(dir.path(), None, Some(25)).unwrap(), [dir.path().join(&p1.path)]);
        let missing = files.files_in(dir.path(), None, None).unwrap_err();
        let expected = dir.path().join(&p2.path).display().to_string();
        assert!(matches!(&missing, ManifestError::MissingFile { path } if *path == expected), "{missing}");
        assert!(missing.to_string().contains("delete the lake and ingest its sources again"), "{missing}");
    }

    #[test]
    fn commits_load_and_prune_by_time() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Manifest::load(dir.path()).unwrap().sources.is_empty());
        assert!(!is_lake(dir.path()));
        let (p1, p2) = (file("date=2026-11-20/p1.parquet", 10, 20), file("date=2026-11-21/p2.parquet", 30, 40));
        let mut m = Manifest::default();
        // b.log, ingested with a.log, shares its second file.
        let b = SourceEntry { source_file: Some("logs/b.log".into()), ..source(&[&p2]) };
        let done =
            m.commit(dir.path(), vec![("a.log".into(), source(&[&p1, &p2])), ("/logs/b.log".into(), b)]).unwrap();
        assert_eq!(done, Committed { added: vec![p1.path.clone(), p2.path.clone()], dropped: vec![] });
        assert!(is_lake(dir.path()));
        let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        assert_eq!(text.matches("\"source_file\"").count(), 1, "written only where it differs: {text}");
        assert_eq!(text.matches("p2.parquet").count(), 3, "listed once, named by both sources: {text}");
        let loaded = load(dir.path());
        assert_eq!(committed(&loaded), committed(&m));
        assert_eq!(loaded.rows(), 4);
        let files = LakeFiles::load(dir.path()).unwrap();
        for f in [&p1, &p2] {
            std::fs::create_dir_all(dir.path().join(&f.path).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(&f.path), "").unwrap();
        }
        assert_eq!(files.files_in(dir.path(), Some(25), None).unwrap(), [dir.path().join(&p2.path)]);
        assert_eq!(files.files_in(dir.path(), None, Some(10)).unwrap(), Vec::<PathBuf>::new());
        assert_eq!(files.files_in(dir.path(), None, None).unwrap().len(), 2, "each file once");
        assert_eq!(files.sources(), 2);
        std::fs::write(dir.path().join(MANIFEST_FILE), "{\"version\": 9, \"sources\": {}}").unwrap();
        assert!(matches!(Manifest::load(dir.path()), Err(ManifestError::Version { found: 9, .. })));
        assert!(matches!(LakeFiles::load(dir.path()), Err(ManifestError::Version { found: 9, .. })));
    }

    #[test]
    fn a_commit_appends_to_the_log_until_it_would_outgrow_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::default();
        let big: Vec<LakeFile> = (0..50).map(|i| file(&format!("date=2026-11-20/big-{i}.parquet"), i, i)).collect();
        let entries = big.iter().enumerate().map(|(i, f)| (format!("big-{i}.log"), source(&[f]))).collect();
        m.commit(dir.path(), entries).unwrap();
        let checkpoint = std::fs::read(dir.path().join(MANIFEST_FILE)).unwrap();
        assert_eq!(log_lines(dir.path()), 0, "the first commit is the checkpoint");
        for i in 0..3 {
            let f = file(&format!("date=2026-11-21/small-{i}.parquet"), 100, 200);
            m.commit(dir.path(), vec![(format!("small-{i}.log"), source(&[&f]))]).unwrap();
            assert_eq!(log_lines(dir.path()), i + 1);
            assert_eq!(committed(&load(dir.path())), committed(&m), "after {} lines", i + 1);
        }
        assert_eq!(std::fs::read(dir.path().join(MANIFEST_FILE)).unwrap(), checkpoint, "left as it was");
        // A commit as large as all the lake: a new checkpoint, and no log.
        let again = (0..200).map(|i| (format!("again-{i}.log"), source(&[&big[i % 50]]))).collect();
        m.commit(dir.path(), again).unwrap();
        assert!(logs(dir.path()).is_empty());
        let loaded = load(dir.path());
        assert_eq!(committed(&loaded), committed(&m));
        assert_eq!((loaded.sources.len(), loaded.files().count(), loaded.commits), (253, 53, 5));
    }

    #[test]
    fn a_changed_source_drops_the_files_no_source_names_any_more() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::default();
        let (old, shared, new) =
            (file("d/old.parquet", 1, 1), file("d/shared.parquet", 1, 1), file("d/new.parquet", 2, 2));
        let entries = vec![("a".into(), source(&[&old, &shared])), ("b".into(), source(&[&shared]))];
        m.commit(dir.path(), entries).unwrap();
        let naming = |m: &Manifest| [&old, &shared, &new].map(|f| m.sources_naming(&f.path));
        assert_eq!(naming(&m), [1, 2, 0]);
        let done = m.commit(dir.path(), vec![("a".into(), source(&[&new]))]).unwrap();
        assert_eq!(done, Committed { added: vec![new.path.clone()], dropped: vec![old.path.clone()] });
        assert_eq!(naming(&m), [0, 1, 1]);
        let loaded = load(dir.path());
        assert_eq!(loaded.files().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["d/new.parquet", "d/shared.parquet"]);
        assert_eq!(committed(&loaded), committed(&m));
        assert_eq!(naming(&loaded), [0, 1, 1], "counted again from the checkpoint and its log");
        let done = m.commit(dir.path(), vec![("b".into(), source(&[&new]))]).unwrap();
        assert_eq!(done.dropped, vec![shared.path.clone()]);
        assert_eq!(naming(&m), [0, 0, 2]);
    }

    /// A lake of 20 sources in `dir`, one file each, in its checkpoint; and
    /// one more commit, in the log.
    fn checkpoint_and_a_line(dir: &Path) -> (Manifest, Vec<LakeFile>) {
        let mut m = Manifest::default();
        let files: Vec<LakeFile> = (0..20).map(|i| file(&format!("d/{i}.parquet"), i, i)).collect();
        m.commit(dir, files.iter().map(|f| (f.path.replace("d/", "src-"), source(&[f]))).collect()).unwrap();
        m.commit(dir, vec![("one".into(), source(&[&files[0]]))]).unwrap();
        assert_eq!(log_lines(dir), 1);
        (m, files)
    }

    #[test]
    fn readers_count_the_lines_ingest_rejected_without_the_sources_entries_or_from_them_in_older_lakes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut m, files) = checkpoint_and_a_line(dir.path());
        let rejecting = |n, file: &LakeFile| SourceEntry { rejected: n, ..source(&[file]) };
        m.commit(dir.path(), vec![("one".into(), rejecting(3, &files[0])), ("two".into(), rejecting(4, &files[1]))])
            .unwrap();
        m.commit(dir.path(), vec![("two".into(), rejecting(1, &files[1]))]).unwrap();
        assert_eq!(LakeFiles::load(dir.path()).unwrap().rejected_lines(), 4, "a replaced entry's count goes with it");
        // As written before commits counted them: the checkpoint and every
        // logged commit without the count.
        let uncounted = |path: PathBuf| {
            let mut counts = 0;
            let lines: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|line| {
                    let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
                    counts += usize::from(value.as_object_mut().unwrap().remove("rejected_lines").is_some());
                    value.to_string() + "\n"
                })
                .collect();
            std::fs::write(&path, lines).unwrap();
            counts
        };
        assert_eq!(uncounted(dir.path().join(MANIFEST_FILE)), 1);
        assert_eq!(uncounted(log_path(dir.path(), 1)), 3);
        assert_eq!(LakeFiles::load(dir.path()).unwrap().rejected_lines(), 4);
        assert_eq!(load(dir.path()).rejected_lines, 4);
    }

    #[test]
    fn a_torn_last_line_was_never_committed_and_the_next_commit_cuts_it_off() {
        let dir = tempfile::tempdir().unwrap();
        let (m, files) = checkpoint_and_a_line(dir.path());
        let before = committed(&m);
        let mut log = OpenOptions::new().append(true).open(log_path(dir.path(), 1)).unwrap();
        log.write_all(b"{\"commit\":3,\"sources\":{\"two\":{\"si").unwrap();
        let mut loaded = load(dir.path());
        assert_eq!(committed(&loaded), before, "the torn commit is not there");
        loaded.commit(dir.path(), vec![("three".into(), source(&[&files[1]]))]).unwrap();
        assert_eq!(log_lines(dir.path()), 2);
        let reloaded = load(dir.path());
        assert_eq!(committed(&reloaded), committed(&loaded));
        assert!(reloaded.sources.contains_key("three") && !reloaded.sources.contains_key("two"));
    }

    #[test]
    fn a_reader_of_a_checkpoint_just_replaced_sees_the_lake_as_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let (mut m, files) = checkpoint_and_a_line(dir.path());
        let old = committed(&m);
        let (old_checkpoint, old_log) =
            (std::fs::read(dir.path().join(MANIFEST_FILE)).unwrap(), log_path(dir.path(), 1));
        let old_lines = std::fs::read(&old_log).unwrap();
        // A new checkpoint (commit 2), and one more commit in its log.
        m.write_checkpoint(dir.path()).unwrap();
        m.commit(dir.path(), vec![("two".into(), source(&[&files[1]]))]).unwrap();
        assert_eq!(logs(dir.path()), BTreeMap::from([("_s3logq_manifest.2.log".to_string(), 1)]));
        // Read by a reader that had loaded the old checkpoint: its log is
        // gone, the new one is not its own.
        std::fs::write(dir.path().join(MANIFEST_FILE), &old_checkpoint).unwrap();
        let stale = load(dir.path());
        assert_eq!((stale.sources.len(), stale.commits), (20, 1));
        // With the old log still there (a writer killed before deleting it).
        std::fs::write(&old_log, &old_lines).unwrap();
        assert_eq!(committed(&load(dir.path())), old);
        m.write_checkpoint(dir.path()).unwrap();
        assert_eq!(committed(&load(dir.path())), committed(&m));
        m.commit(dir.path(), vec![("three".into(), source(&[&files[2]]))]).unwrap();
        assert_eq!(logs(dir.path()), BTreeMap::from([("_s3logq_manifest.3.log".to_string(), 1)]), "the old log too");
    }

    #[test]
    fn a_damaged_log_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let (_, _) = checkpoint_and_a_line(dir.path());
        let log = std::fs::read(log_path(dir.path(), 1)).unwrap();
        let gap = b"{\"commit\":7,\"source_count\":3,\"sources\":{}}\n";
        std::fs::write(log_path(dir.path(), 1), [&log[..], gap].concat()).unwrap();
        for error in [Manifest::load(dir.path()).unwrap_err(), LakeFiles::load(dir.path()).unwrap_err()] {
            let error = error.to_string();
            assert!(
                error.ends_with("_s3logq_manifest.1.log: the lake's manifest is damaged: commit 7 follows commit 2"),
                "{error}"
            );
        }
        std::fs::write(log_path(dir.path(), 1), [&log[..], b"not json\n"].concat()).unwrap();
        let error = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("_s3logq_manifest.1.log:2: not a commit of an s3logq lake manifest"), "{error}");
    }

    #[test]
    fn a_checkpoints_sources_load_in_bulk_in_any_order_the_last_of_a_name_standing() {
        let dir = tempfile::tempdir().unwrap();
        // As no writer leaves it: names out of order, one of them twice
        // (JSON's last value of a key stands), and a path and an entry as
        // the two ways of naming a file.
        let checkpoint = r#"{"version": 2, "commits": 3, "source_count": 3,
  "files": {"d/p1.parquet": {"rows": 2, "min_time": 10, "max_time": 20},
            "d/p2.parquet": {"rows": 1, "min_time": 30, "max_time": 40}},
  "sources": {
    "/logs/c.log": {"size": 1, "modified": 1, "rows": 1, "rejected": 0, "files": ["d/p1.parquet"]},
    "/logs/a.log": {"size": 2, "modified": 2, "rows": 1, "rejected": 0, "files": ["d/p1.parquet"]},
    "/logs/c.log": {"size": 3, "modified": 3, "rows": 1, "rejected": 0,
      "files": [{"path": "d/p2.parquet", "rows": 1, "min_time": 30, "max_time": 40}]},
    "/logs/b.log": {"size": 4, "modified": 4, "rows": 1, "rejected": 0, "files": []}
  }
}"#;
        std::fs::write(dir.path().join(MANIFEST_FILE), checkpoint).unwrap();
        let m = Manifest::load(dir.path()).unwrap();
        let sizes = m.sources.iter().map(|(name, s)| (name.as_str(), s.size)).collect::<Vec<_>>();
        assert_eq!(sizes, [("/logs/a.log", 2), ("/logs/b.log", 4), ("/logs/c.log", 3)]);
        assert_eq!((m.sources_naming("d/p1.parquet"), m.sources_naming("d/p2.parquet")), (1, 1));
        let not_a_file = checkpoint.replace(r#"["d/p1.parquet"]"#, "[7]");
        std::fs::write(dir.path().join(MANIFEST_FILE), not_a_file).unwrap();
        let error = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("expected a data file's path, or its entry"), "{error}");
    }

    #[test]
    fn a_version_1_manifest_loads_and_its_next_commit_writes_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = r#"{
  "version": 1,
  "sources": {
    "/logs/a.log": {"size": 10, "modified": 5, "rows": 2, "rejected": 1,
      "files": [{"path": "date=2026-11-20/p1.parquet", "rows": 2, "min_time": 10, "max_time": 20}]},
    "/logs/b.log": {"size": 3, "modified": 6, "rows": 1, "rejected": 0, "source_file": "logs/b.log",
      "files": [{"path": "date=2026-11-20/p1.parquet", "rows": 2, "min_time": 10, "max_time": 20}]}
  }
}"#;
        std::fs::write(dir.path().join(MANIFEST_FILE), v1).unwrap();
        let mut m = load(dir.path());
        assert_eq!(
            m.files().cloned().collect::<Vec<_>>(),
            [LakeFile { rows: 2, ..file("date=2026-11-20/p1.parquet", 10, 20) }]
        );
        assert_eq!(
            (m.sources["/logs/a.log"].rejected, m.sources["/logs/b.log"].source_file.as_deref()),
            (1, Some("logs/b.log"))
        );
        m.commit(dir.path(), vec![("c".into(), source(&[&file("date=2026-11-21/p2.parquet", 30, 40)]))]).unwrap();
        assert!(logs(dir.path()).is_empty(), "the upgrade is a checkpoint");
        let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        assert!(text.starts_with("{\"version\":2,\"commits\":1,"), "{text}");
        assert_eq!(committed(&load(dir.path())), committed(&m));
    }
}
