//! The manifest of a Parquet lake written by `s3logq ingest`: which source
//! objects were ingested (name, size, modification time) and which data
//! files hold their records. It is the lake's commit log: a data file exists
//! for readers only once the manifest names it, and the manifest is replaced
//! atomically (write, fsync, rename).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The manifest's file name inside the lake folder.
pub const MANIFEST_FILE: &str = "_s3logq_manifest.json";
const VERSION: u32 = 1;

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

/// One ingested source object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub sources: BTreeMap<String, SourceEntry>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest { version: VERSION, sources: BTreeMap::new() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not an s3logq lake manifest: {source}")]
    Format { path: String, source: serde_json::Error },
    #[error("{path}: manifest version {found} is newer than this s3logq understands ({VERSION})")]
    Version { path: String, found: u32 },
}

/// True when `dir` holds a lake.
pub fn is_lake(dir: &Path) -> bool {
    dir.join(MANIFEST_FILE).is_file()
}

impl Manifest {
    /// The manifest of `dir`, empty when there is none yet.
    pub fn load(dir: &Path) -> Result<Manifest, ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(source) => return Err(ManifestError::Io { path: path.display().to_string(), source }),
        };
        let manifest: Manifest = serde_json::from_slice(&text)
            .map_err(|source| ManifestError::Format { path: path.display().to_string(), source })?;
        if manifest.version > VERSION {
            return Err(ManifestError::Version { path: path.display().to_string(), found: manifest.version });
        }
        Ok(manifest)
    }

    /// Replaces the manifest of `dir` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let tmp = dir.join(format!("{MANIFEST_FILE}.tmp"));
        let io = |source| ManifestError::Io { path: path.display().to_string(), source };
        let body = serde_json::to_vec_pretty(self).map_err(|e| io(e.into()))?;
        let mut file = File::create(&tmp).map_err(io)?;
        file.write_all(&body).and_then(|()| file.sync_all()).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io)
    }

    /// Every committed data file, once (sources ingested together share
    /// their files).
    pub fn files(&self) -> impl Iterator<Item = &LakeFile> {
        let mut seen = HashSet::new();
        self.sources.values().flat_map(|s| s.files.iter()).filter(move |f| seen.insert(f.path.as_str()))
    }

    /// The committed data files that may hold records in `[since, until)`.
    pub fn files_meeting(&self, since: Option<i64>, until: Option<i64>) -> impl Iterator<Item = &LakeFile> {
        self.files().filter(move |f| since.is_none_or(|s| f.max_time >= s) && until.is_none_or(|u| f.min_time < u))
    }

    /// Paths of [`Manifest::files_meeting`] inside the lake `dir`.
    pub fn files_in(&self, dir: &Path, since: Option<i64>, until: Option<i64>) -> Vec<PathBuf> {
        self.files_meeting(since, until).map(|f| dir.join(&f.path)).collect()
    }

    pub fn rows(&self) -> u64 {
        self.sources.values().map(|s| s.rows).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, min_time: i64, max_time: i64) -> LakeFile {
        LakeFile { path: path.into(), rows: 1, min_time, max_time }
    }

    #[test]
    fn saves_loads_and_prunes_by_time() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), Manifest::default());
        assert!(!is_lake(dir.path()));
        let mut m = Manifest::default();
        m.sources.insert(
            "a.log".into(),
            SourceEntry {
                size: 10,
                modified: 5,
                rows: 2,
                rejected: 0,
                files: vec![file("date=2026-11-20/p1.parquet", 10, 20), file("date=2026-11-21/p2.parquet", 30, 40)],
                source_file: None,
            },
        );
        // Ingested with a.log: shares its second file.
        m.sources.insert(
            "/logs/b.log".into(),
            SourceEntry {
                size: 3,
                modified: 6,
                rows: 1,
                rejected: 1,
                files: vec![file("date=2026-11-21/p2.parquet", 30, 40)],
                source_file: Some("logs/b.log".into()),
            },
        );
        m.save(dir.path()).unwrap();
        assert!(is_lake(dir.path()));
        let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        assert_eq!(text.matches("\"source_file\"").count(), 1, "written only where it differs: {text}");
        let loaded = Manifest::load(dir.path()).unwrap();
        assert_eq!(loaded, m);
        assert_eq!(loaded.files_in(dir.path(), Some(25), None), [dir.path().join("date=2026-11-21/p2.parquet")]);
        assert_eq!(loaded.files_in(dir.path(), None, Some(10)), Vec::<PathBuf>::new());
        assert_eq!(loaded.files_in(dir.path(), None, None).len(), 2, "each file once");
        assert_eq!(loaded.rows(), 3);
        std::fs::write(dir.path().join(MANIFEST_FILE), "{\"version\": 9, \"sources\": {}}").unwrap();
        assert!(matches!(Manifest::load(dir.path()), Err(ManifestError::Version { found: 9, .. })));
    }
}
