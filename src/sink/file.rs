//! Output files that appear whole or not at all. A report or query result
//! is written beside its path under a hidden temporary name and renamed over
//! it once complete: a run that fails leaves no empty or half-written file,
//! and whoever reads the path (a web server publishing the nightly report,
//! say) never sees part of one. The temporary name starts with a dot, so a
//! folder of logs that holds it does not read it as a log. A path that is
//! not a plain file (`/dev/stdout`, a pipe, a symbolic link) is written in
//! place: renaming over it would replace the device or the link.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written, to a temporary name beside `path` where it can be.
#[derive(Debug)]
pub struct AtomicFile {
    writer: BufWriter<File>,
    /// Where the text goes until it is committed; none when written in place.
    temporary: Option<PathBuf>,
    path: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Starts writing `path`; an error here (no such folder, no permission)
    /// is what writing `path` itself would give. A file it replaces keeps
    /// its permissions.
    pub fn create(path: &Path) -> io::Result<Self> {
        let existing = match std::fs::symlink_metadata(path) {
            Ok(metadata) => Some(metadata),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if existing.as_ref().is_some_and(|m| !m.file_type().is_file()) {
            return Ok(AtomicFile::writing(File::create(path)?, None, path));
        }
        let temporary = temporary_name(path)?;
        // Made before the permissions are set, so that a failure there
        // removes the temporary file too.
        let created = AtomicFile::writing(File::create(&temporary)?, Some(temporary), path);
        if let Some(metadata) = existing {
            created.writer.get_ref().set_permissions(metadata.permissions())?;
        }
        Ok(created)
    }

    fn writing(file: File, temporary: Option<PathBuf>, path: &Path) -> Self {
        AtomicFile { writer: BufWriter::new(file), temporary, path: path.to_path_buf(), committed: false }
    }

    /// The path it is written for.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes what was written and puts it in place at the path.
    pub fn commit(mut self) -> io::Result<()> {
        self.writer.flush()?;
        if let Some(temporary) = &self.temporary {
            std::fs::rename(temporary, &self.path)?;
        }
        self.committed = true;
        Ok(())
    }
}

/// `.NAME.s3logq-PID.tmp` in the folder of `path`.
fn temporary_name(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?
        .to_string_lossy();
    Ok(path.with_file_name(format!(".{name}.s3logq-{}.tmp", std::process::id())))
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Drop for AtomicFile {
    /// Uncommitted, the temporary file goes.
    fn drop(&mut self) {
        if let Some(temporary) = self.temporary.as_ref().filter(|_| !self.committed) {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_file_appears_whole_on_commit_and_not_at_all_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        std::fs::write(&path, "yesterday's report").unwrap();
        let mut out = AtomicFile::create(&path).unwrap();
        out.write_all(b"today's ").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "yesterday's report", "in place only when committed");
        assert_eq!(entries(dir.path()).len(), 2, "the temporary file is beside it");
        assert!(entries(dir.path())[0].starts_with(".report.html.s3logq-"), "{:?}", entries(dir.path()));
        out.write_all(b"report").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "today's report");
        assert_eq!(entries(dir.path()), ["report.html"]);

        let failed = dir.path().join("failed.json");
        let mut out = AtomicFile::create(&failed).unwrap();
        out.write_all(b"half").unwrap();
        drop(out);
        assert_eq!(entries(dir.path()), ["report.html"], "a run that failed leaves nothing");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_or_a_link_is_written_in_place() {
        use std::os::unix::fs::FileTypeExt;

        let mut null = AtomicFile::create(Path::new("/dev/null")).unwrap();
        null.write_all(b"gone").unwrap();
        null.commit().unwrap();
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device(), "still the device");
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut out = AtomicFile::create(&link).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a link");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut out = AtomicFile::create(&path).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn a_path_that_cannot_be_written_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let error = AtomicFile::create(&dir.path().join("no/such/folder/out.csv")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }
}
