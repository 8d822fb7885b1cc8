//! Writing the Parquet lake: the records of a group of source objects, read
//! together, go to one file per date,
//! `date=YYYY-MM-DD/part-<run>-<n>.parquet` (ZSTD, statistics on, each row
//! group sorted by time), so that a bucket of many small log objects makes
//! a few large files. Exactly once, even when killed at any moment:
//!
//! 1. data is written to hidden `.part-….parquet.tmp` files, which no
//!    engine reads ([`pending_path`]);
//! 2. the manifest naming the new files is committed (a line appended to
//!    its log and synced, or a new checkpoint renamed into place);
//! 3. the `.tmp` files are renamed to `.parquet`, and files of replaced
//!    sources are deleted.
//!
//! Opening a lake finishes step 3 for committed files whose rename was cut
//! short and deletes every other file the manifest does not name; a process
//! stopped by a signal first lets the commit in flight finish step 3
//! ([`hold_commits`]). One
//! writer at a time: the writer holds a lock on `_s3logq_ingest.lock` for
//! as long as it lives (the system lets go of it when the process ends,
//! however it ends), and a second one is refused rather than left to delete
//! the first one's files in progress.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{
    SortOptions, cast, concat_batches, filter_record_batch, sort_to_indices, take_record_batch,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimestampMicrosecondType};
use datafusion::arrow::error::ArrowError;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowRowGroupWriterFactory, compute_leaves};
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::errors::ParquetError;
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

use crate::parse::time::MICROS_PER_DAY;
use crate::schema::{Column, logs_schema};
use crate::source::manifest::{
    DATE_FOLDER_PREFIX, LOCK_FILE, LakeFile, Manifest, ManifestError, SourceEntry, locate, pending_path,
};

/// Rows buffered per date before they are sorted into one row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Held while a commit is carried out, from the manifest to the last
/// deletion.
static CARRYING_OUT: Mutex<()> = Mutex::new(());

/// Waits for a commit this process is carrying out to be done, and keeps
/// any other from starting while the guard lives: for a process about to
/// end on a signal, so that Ctrl-C or SIGTERM never leaves a commit half
/// carried out (its files still `.tmp`, invisible to engines that list the
/// folder, or replaced files still there for them).
pub fn hold_commits() -> MutexGuard<'static, ()> {
    CARRYING_OUT.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("writing Parquet failed: {0}")]
    Parquet(#[from] ParquetError),
    #[error("arranging rows failed: {0}")]
    Arrow(#[from] ArrowError),
    #[error("{0}")]
    Input(Box<dyn std::error::Error + Send + Sync>),
    #[error("{dir}: another s3logq ingest{holder} is writing this lake; run again once it has finished")]
    Busy { dir: String, holder: String },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> LakeError + '_ {
    move |source| LakeError::Io { path: path.display().to_string(), source }
}

/// How a source object is identified, to tell new and changed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceVersion {
    pub size: u64,
    pub modified: i128,
}

/// `YYYY-MM-DD` of a time in µs since the epoch.
fn date_of(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    datafusion::arrow::temporal_conversions::date32_to_datetime(days as i32)
        .map_or_else(|| "unknown".to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// Forgets records seen before (same request id, host id, operation and
/// key): S3 delivers some records twice.
#[derive(Default)]
pub struct Deduper {
    seen: HashSet<u64>,
}

impl Deduper {
    fn keep(&mut self, batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
        let key_columns: Vec<_> = [Column::RequestId, Column::HostId, Column::Operation, Column::Key]
            .iter()
            .map(|c| batch.column(*c as usize).as_string_view())
            .collect();
        let mask: BooleanArray = (0..batch.num_rows())
            .map(|row| {
                let mut h = DefaultHasher::new();
                key_columns.iter().for_each(|c| c.is_valid(row).then(|| c.value(row)).hash(&mut h));
                Some(self.seen.insert(h.finish()))
            })
            .collect();
        filter_record_batch(batch, &mask)
    }
}

/// A source read with others into one group of lake files.
#[derive(Debug, Clone)]
pub struct GroupSource {
    /// Its name in the manifest.
    pub name: String,
    /// Its name in the records' `source_file`.
    pub source_file: String,
    pub version: SourceVersion,
}

/// What reading a source came to, besides its records.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceOutcome {
    pub rejected: u64,
    /// Given up on, or its reading broke off (`--skip-failed-objects`).
    pub gave_up: bool,
}

/// The records of a group that came from one source.
#[derive(Default)]
struct Found {
    rows: u64,
    dates: BTreeSet<String>,
}

/// What each source file of a group gave, by `source_file`.
type FoundBySource = HashMap<String, Found>;

/// How many rows of `batch` came from each source, by `source_file`
/// (counted a run of rows at a time: a batch holds few sources, in runs).
fn rows_by_source(batch: &RecordBatch) -> HashMap<String, u64> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    let names = batch.column(Column::SourceFile as usize).as_string_view();
    let mut run_start = 0;
    for row in 1..=names.len() {
        if row == names.len() || names.value(row) != names.value(run_start) {
            *counts.entry(names.value(run_start).to_string()).or_default() += (row - run_start) as u64;
            run_start = row;
        }
    }
    counts
}

/// A group's open parts, by date (`2026-11-20`).
type DateParts = BTreeMap<String, DatePart>;

/// Rows of one date waiting to become a row group, and the file they go to.
struct DatePart {
    rows: Vec<RecordBatch>,
    buffered: usize,
    writer: SerializedFileWriter<File>,
    /// Column writers for each row group, encoded side by side.
    columns: ArrowRowGroupWriterFactory,
    row_groups: usize,
    file: LakeFile,
}

/// Writes sources into a lake and commits them.
pub struct LakeWriter {
    dir: PathBuf,
    /// Locked while the writer lives.
    _lock: File,
    manifest: Manifest,
    run: String,
    next_file: usize,
    props: WriterProperties,
    pending: Vec<(String, SourceEntry)>,
    deduper: Option<Deduper>,
}

impl LakeWriter {
    /// Opens (or creates) the lake at `dir`, finishing or cleaning what an
    /// interrupted run left behind.
    pub fn open(dir: &Path, dedupe: bool) -> Result<LakeWriter, LakeError> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let lock = lock_lake(dir)?;
        let manifest = Manifest::load(dir)?;
        recover(dir, &manifest)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_statistics_enabled(EnabledStatistics::Page)
            .build();
        let run = format!(
            "{}-{}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis()),
            std::process::id()
        );
        Ok(LakeWriter {
            dir: dir.to_path_buf(),
            _lock: lock,
            manifest,
            run,
            next_file: 0,
            props,
            pending: Vec::new(),
            deduper: dedupe.then(Deduper::default),
        })
    }

    /// True when `source` is new, changed since it was ingested, or only
    /// partly read then.
    pub fn needs(&self, source: &str, version: SourceVersion) -> bool {
        self.manifest
            .sources
            .get(source)
            .is_none_or(|e| e.incomplete || e.size != version.size || e.modified != version.modified)
    }

    /// Writes the batches of a group of sources (full `logs` schema), read
    /// together, to `.tmp` files: one per date, shared by the group. A
    /// source's entry names the files holding its records; `outcome` tells,
    /// once the batches are read, how many of its lines were rejected and
    /// whether it was given up on: a source given up on with no records is
    /// left out (what the lake holds of it stays), one whose reading broke
    /// off is entered with the records before the break, and both are read
    /// again by the next run. Files that a changed source entered shares
    /// with other sources are written again without its old records.
    /// Returns how many sources were entered, and their records.
    pub fn write_group<E: std::error::Error + Send + Sync + 'static>(
        &mut self,
        group: &[GroupSource],
        batches: impl IntoIterator<Item = Result<RecordBatch, E>>,
        outcome: impl Fn(&str) -> SourceOutcome,
    ) -> Result<(usize, u64), LakeError> {
        let (parts, mut found) = self.write_batches(batches)?;
        let files = self.finish_parts(parts)?;
        let entered: Vec<(&GroupSource, SourceOutcome, Found)> = group
            .iter()
            .filter_map(|source| {
                let outcome = outcome(&source.source_file);
                let found = found.remove(&source.source_file).unwrap_or_default();
                (!outcome.gave_up || found.rows > 0).then_some((source, outcome, found))
            })
            .collect();
        let sources: Vec<&GroupSource> = entered.iter().map(|(source, ..)| *source).collect();
        self.drop_replaced(&sources)?;
        let written = entered.iter().map(|(_, _, found)| found.rows).sum();
        for (source, outcome, found) in &entered {
            let entry = SourceEntry {
                size: source.version.size,
                modified: source.version.modified,
                rows: found.rows,
                rejected: outcome.rejected,
                files: found.dates.iter().filter_map(|date| files.get(date).cloned()).collect(),
                source_file: (source.source_file != source.name).then(|| source.source_file.clone()),
                incomplete: outcome.gave_up,
            };
            self.pending.push((source.name.clone(), entry));
        }
        Ok((entered.len(), written))
    }

    /// Writes the group's batches (less the records already in the lake,
    /// with `--dedupe`) into a part per date; returns the parts and what
    /// each source file gave.
    fn write_batches<E: std::error::Error + Send + Sync + 'static>(
        &mut self,
        batches: impl IntoIterator<Item = Result<RecordBatch, E>>,
    ) -> Result<(DateParts, FoundBySource), LakeError> {
        let mut parts = DateParts::new();
        let mut found = FoundBySource::new();
        for batch in batches {
            let batch = batch.map_err(|e| LakeError::Input(Box::new(e)))?;
            let batch = match &mut self.deduper {
                Some(d) => d.keep(&batch)?,
                None => batch,
            };
            for (date, rows) in split_by_date(&batch)? {
                for (source_file, count) in rows_by_source(&rows) {
                    let found = found.entry(source_file).or_default();
                    found.rows += count;
                    found.dates.insert(date.clone());
                }
                self.add_rows(&mut parts, date, rows)?;
            }
        }
        Ok((parts, found))
    }

    /// Adds rows of `date` to its part, started if need be, writing a row
    /// group once enough are buffered.
    fn add_rows(&mut self, parts: &mut DateParts, date: String, rows: RecordBatch) -> Result<(), LakeError> {
        let part = match parts.entry(date) {
            Entry::Occupied(part) => part.into_mut(),
            Entry::Vacant(vacant) => {
                let part = self.new_part(vacant.key())?;
                vacant.insert(part)
            }
        };
        part.add(rows)
    }

    /// Writes out and syncs every part: the files, by date.
    fn finish_parts(&self, parts: DateParts) -> Result<BTreeMap<String, LakeFile>, LakeError> {
        let mut files = BTreeMap::new();
        for (date, part) in parts {
            files.insert(date, part.finish(&self.dir)?);
        }
        Ok(files)
    }

    /// For the sources of `group` that the lake holds already (changed
    /// since), writes each file they share with sources outside the group
    /// again without their records, and names the new file in those
    /// sources' entries (pending until the commit, which drops the old one).
    fn drop_replaced(&mut self, group: &[&GroupSource]) -> Result<(), LakeError> {
        // For each file of the group's old entries: the `source_file` of
        // their records, and how many of the group's sources name it.
        let mut dropped: BTreeMap<String, (HashSet<String>, usize)> = BTreeMap::new();
        for source in group {
            if let Some(old) = self.manifest.sources.get(&source.name) {
                let records_name = old.source_file.clone().unwrap_or_else(|| source.name.clone());
                for file in &old.files {
                    let (records_names, in_group) = dropped.entry(file.path.clone()).or_default();
                    records_names.insert(records_name.clone());
                    *in_group += 1;
                }
            }
        }
        dropped.retain(|path, (_, in_group)| self.manifest.sources_naming(path) > *in_group);
        let mut updated: BTreeMap<String, SourceEntry> = BTreeMap::new();
        for (path, holders) in self.holders_outside(group, &dropped) {
            let kept = self.rewrite_without(&path, &dropped[&path].0)?;
            for name in holders {
                let entry = updated.entry(name.clone()).or_insert_with(|| self.manifest.sources[&name].clone());
                entry.files.retain(|f| f.path != path);
                entry.files.extend(kept.clone());
            }
        }
        self.pending.extend(updated);
        Ok(())
    }

    /// The sources outside `group` that name a file of `files`, by file:
    /// one pass over the lake's sources, made only when some file of a
    /// changed source is shared with sources outside its group.
    fn holders_outside<V>(&self, group: &[&GroupSource], files: &BTreeMap<String, V>) -> BTreeMap<String, Vec<String>> {
        let mut holders: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if files.is_empty() {
            return holders;
        }
        let in_group: HashSet<&str> = group.iter().map(|s| s.name.as_str()).collect();
        for (name, entry) in &self.manifest.sources {
            for file in entry.files.iter().filter(|f| files.contains_key(&f.path)) {
                if !in_group.contains(name.as_str()) {
                    holders.entry(file.path.clone()).or_default().push(name.clone());
                }
            }
        }
        holders
    }

    /// Writes the lake file `path` again, to a new `.tmp` file, without the
    /// records whose `source_file` is in `records_names`; none when no
    /// record is left.
    fn rewrite_without(&mut self, path: &str, records_names: &HashSet<String>) -> Result<Option<LakeFile>, LakeError> {
        let date = path.strip_prefix(DATE_FOLDER_PREFIX).and_then(|rest| rest.split('/').next()).unwrap_or("unknown");
        let file = File::open(self.dir.join(path)).map_err(io_error(&self.dir.join(path)))?;
        let mut part = self.new_part(date)?;
        for batch in ParquetRecordBatchReaderBuilder::try_new(file)?.build()? {
            let batch = batch?;
            let source_files = cast(batch.column(Column::SourceFile as usize), &DataType::Utf8View)?;
            let keep: BooleanArray = source_files
                .as_string_view()
                .iter()
                .map(|s| Some(!s.is_some_and(|s| records_names.contains(s))))
                .collect();
            part.add(filter_record_batch(&batch, &keep)?)?;
        }
        let file = part.finish(&self.dir)?;
        if file.rows > 0 {
            return Ok(Some(file));
        }
        let tmp = pending_path(&self.dir, &file.path);
        std::fs::remove_file(&tmp).map_err(io_error(&tmp))?;
        Ok(None)
    }

    fn new_part(&mut self, date: &str) -> Result<DatePart, LakeError> {
        let rel = format!("{DATE_FOLDER_PREFIX}{date}/part-{}-{:05}.parquet", self.run, self.next_file);
        self.next_file += 1;
        let tmp = pending_path(&self.dir, &rel);
        if let Some(parent) = tmp.parent() {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        let file = File::create(&tmp).map_err(io_error(&tmp))?;
        // Made through an ArrowWriter so that the file carries the Arrow
        // schema (text as views, times in UTC) for readers.
        let (writer, columns) =
            ArrowWriter::try_new(file, logs_schema(), Some(self.props.clone()))?.into_serialized_writer()?;
        let file = LakeFile { path: rel, rows: 0, min_time: i64::MAX, max_time: i64::MIN };
        Ok(DatePart { rows: Vec::new(), buffered: 0, writer, columns, row_groups: 0, file })
    }

    /// Commits the written sources: manifest first, then the renames of
    /// the new files and the deletion of those no source names any more.
    pub fn commit(&mut self) -> Result<(), LakeError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let _carrying_out = hold_commits();
        let committed = self.manifest.commit(&self.dir, std::mem::take(&mut self.pending))?;
        for rel in &committed.added {
            let tmp = pending_path(&self.dir, rel);
            std::fs::rename(&tmp, self.dir.join(rel)).map_err(io_error(&tmp))?;
        }
        for rel in &committed.dropped {
            let path = self.dir.join(rel);
            if path.exists() {
                std::fs::remove_file(&path).map_err(io_error(&path))?;
            }
        }
        Ok(())
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl DatePart {
    /// Adds rows, writing a row group once enough are buffered.
    fn add(&mut self, rows: RecordBatch) -> Result<(), LakeError> {
        self.buffered += rows.num_rows();
        self.rows.push(rows);
        if self.buffered >= ROW_GROUP_ROWS { flush_sorted(self) } else { Ok(()) }
    }

    /// Writes the rows left and the footer, and syncs the file, in the
    /// lake `dir`.
    fn finish(mut self, dir: &Path) -> Result<LakeFile, LakeError> {
        flush_sorted(&mut self)?;
        self.writer.into_inner()?.sync_all().map_err(io_error(dir))?;
        Ok(self.file)
    }
}

/// Rows of `batch` grouped by the date of their time.
fn split_by_date(batch: &RecordBatch) -> Result<Vec<(String, RecordBatch)>, ArrowError> {
    let times = batch.column(Column::Time as usize).as_primitive::<TimestampMicrosecondType>();
    let mut by_day: HashMap<i64, Vec<u32>> = HashMap::new();
    for (i, t) in times.values().iter().enumerate() {
        by_day.entry(t.div_euclid(MICROS_PER_DAY)).or_default().push(i as u32);
    }
    let mut out = Vec::with_capacity(by_day.len());
    for (day, rows) in by_day {
        let part = if rows.len() == batch.num_rows() {
            batch.clone()
        } else {
            take_record_batch(batch, &UInt32Array::from(rows))?
        };
        out.push((date_of(day * MICROS_PER_DAY), part));
    }
    Ok(out)
}

/// Writes the buffered rows of a date as one row group sorted by time.
fn flush_sorted(part: &mut DatePart) -> Result<(), LakeError> {
    if part.rows.is_empty() {
        return Ok(());
    }
    let schema: SchemaRef = part.rows[0].schema();
    let all = concat_batches(&schema, &part.rows)?;
    part.rows.clear();
    part.buffered = 0;
    let time = all.column(Column::Time as usize);
    let order = sort_to_indices(time, Some(SortOptions { descending: false, nulls_first: false }), None)?;
    let sorted = take_record_batch(&all, &order)?;
    let times = sorted.column(Column::Time as usize).as_primitive::<TimestampMicrosecondType>();
    if let (Some(first), Some(last)) = (times.values().first(), times.values().last()) {
        part.file.min_time = part.file.min_time.min(*first);
        part.file.max_time = part.file.max_time.max(*last);
    }
    part.file.rows += sorted.num_rows() as u64;
    write_row_group(part, &sorted)
}

/// Writes `batch` as the part's next row group, its columns encoded and
/// compressed side by side on the rayon pool (encoding is most of what an
/// ingest costs).
fn write_row_group(part: &mut DatePart, batch: &RecordBatch) -> Result<(), LakeError> {
    let writers = part.columns.create_column_writers(part.row_groups)?;
    let schema = batch.schema();
    let chunks = (writers.into_par_iter().zip(schema.fields().par_iter().zip(batch.columns())))
        .map(|(mut writer, (field, column))| {
            for leaf in compute_leaves(field, column)? {
                writer.write(&leaf)?;
            }
            writer.close()
        })
        .collect::<Result<Vec<ArrowColumnChunk>, ParquetError>>()?;
    let mut row_group = part.writer.next_row_group()?;
    for chunk in chunks {
        chunk.append_to_row_group(&mut row_group)?;
    }
    row_group.close()?;
    part.row_groups += 1;
    Ok(())
}

/// The lock file of the lake `dir`, locked for this process, with its pid
/// written in it; refused while another process holds it.
fn lock_lake(dir: &Path) -> Result<File, LakeError> {
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let pid = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = pid.trim().parse::<u32>().map_or(String::new(), |pid| format!(" (pid {pid})"));
            return Err(LakeError::Busy { dir: dir.display().to_string(), holder });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&path)(e)),
    }
    file.set_len(0).and_then(|()| write!(file, "{}", std::process::id())).map_err(io_error(&path))?;
    Ok(file)
}

/// Finishes renames of committed files and deletes files no manifest names;
/// a committed file that is missing stops the ingest, which would otherwise
/// skip its sources as ingested.
fn recover(dir: &Path, manifest: &Manifest) -> Result<(), LakeError> {
    let committed: HashSet<&str> = manifest.files().map(|f| f.path.as_str()).collect();
    for rel in &committed {
        let found = locate(dir, rel)?;
        if !found.ends_with(rel) {
            std::fs::rename(&found, dir.join(rel)).map_err(io_error(&found))?;
        }
    }
    let Ok(dates) = std::fs::read_dir(dir) else { return Ok(()) };
    for date in dates.flatten().filter(|d| d.file_name().to_string_lossy().starts_with(DATE_FOLDER_PREFIX)) {
        for file in std::fs::read_dir(date.path()).map_err(io_error(&date.path()))?.flatten() {
            let rel = format!("{}/{}", date.file_name().to_string_lossy(), file.file_name().to_string_lossy());
            if !committed.contains(rel.as_str()) {
                std::fs::remove_file(file.path()).map_err(io_error(&file.path()))?;
            }
        }
    }
    Ok(())
}

/// SQL engines `s3logq ddl` writes a table definition for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Athena,
    Trino,
    Spark,
    Duckdb,
}

impl std::str::FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "athena" => Ok(Engine::Athena),
            "trino" => Ok(Engine::Trino),
            "spark" => Ok(Engine::Spark),
            "duckdb" => Ok(Engine::Duckdb),
            other => Err(format!("unknown engine `{other}` (expected athena, trino, spark or duckdb)")),
        }
    }
}

fn sql_type(kind: crate::schema::ColumnKind, engine: Engine) -> &'static str {
    use crate::schema::ColumnKind as K;
    match (kind, engine) {
        (K::Text, Engine::Trino) => "varchar",
        (K::Text, _) => "string",
        (K::Timestamp, Engine::Trino) => "timestamp(6)",
        (K::Timestamp, _) => "timestamp",
        (K::Int32, Engine::Trino | Engine::Athena) => "integer",
        (K::Int32, _) => "int",
        (K::Int64, _) => "bigint",
        (K::Boolean, _) => "boolean",
    }
}

/// The table definition of a lake at `location` (a folder or bucket URL).
pub fn ddl(engine: Engine, location: &str) -> String {
    let location = location.trim_end_matches('/');
    let columns = |quote: char| {
        Column::ALL
            .iter()
            .map(|c| format!("  {quote}{}{quote} {}", c.name(), sql_type(c.kind(), engine)))
            .collect::<Vec<_>>()
            .join(",\n")
    };
    match engine {
        Engine::Athena => format!(
            "CREATE EXTERNAL TABLE s3_access_logs (\n{}\n)\nPARTITIONED BY (`date` string)\nSTORED AS PARQUET\n\
             LOCATION '{location}/'\nTBLPROPERTIES (\n  'parquet.compression' = 'ZSTD',\n  'projection.enabled' = 'true',\n\
             \x20 'projection.date.type' = 'date',\n  'projection.date.format' = 'yyyy-MM-dd',\n\
             \x20 'projection.date.range' = '2006-03-01,NOW',\n  'projection.date.interval' = '1',\n\
             \x20 'projection.date.interval.unit' = 'DAYS',\n\
             \x20 'storage.location.template' = '{location}/date=${{date}}/'\n);\n",
            columns('`')
        ),
        Engine::Trino => format!(
            "CREATE TABLE hive.default.s3_access_logs (\n{},\n  \"date\" varchar\n)\nWITH (\n  external_location = '{location}/',\n\
             \x20 format = 'PARQUET',\n  partitioned_by = ARRAY['date']\n);\n\
             CALL hive.system.sync_partition_metadata('default', 's3_access_logs', 'ADD');\n",
            columns('"')
        ),
        Engine::Spark => format!(
            "CREATE TABLE s3_access_logs (\n{},\n  `date` string\n)\nUSING parquet\nPARTITIONED BY (`date`)\n\
             LOCATION '{location}/';\nMSCK REPAIR TABLE s3_access_logs;\n",
            columns('`')
        ),
        Engine::Duckdb => format!(
            "CREATE VIEW s3_access_logs AS\nSELECT * FROM read_parquet('{location}/date=*/*.parquet', hive_partitioning = true);\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_commit_waits_while_commits_are_held() {
        let dir = tempfile::tempdir().unwrap();
        let mut lake = LakeWriter::open(dir.path(), false).unwrap();
        let entry = SourceEntry {
            size: 1,
            modified: 1,
            rows: 0,
            rejected: 0,
            files: vec![],
            source_file: None,
            incomplete: false,
        };
        lake.pending.push(("a.log".into(), entry));
        let held = hold_commits();
        let (done, committed) = mpsc::channel();
        let writer = std::thread::spawn(move || {
            let result = lake.commit().map(|()| lake.manifest().sources.len());
            done.send(()).unwrap();
            result
        });
        assert!(committed.recv_timeout(Duration::from_millis(300)).is_err(), "committed while held");
        assert!(!dir.path().join(crate::source::manifest::MANIFEST_FILE).exists());
        drop(held);
        committed.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(writer.join().unwrap().unwrap(), 1);
        assert!(dir.path().join(crate::source::manifest::MANIFEST_FILE).exists());
    }
}
