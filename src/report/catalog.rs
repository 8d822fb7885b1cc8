//! The named reports: each `queries/<name>.sql` is one report whose header
//! comment gives its title, severity, description and (optionally) a remedy
//! such as a bucket-policy statement. The built-in ones are embedded in the
//! binary; a folder given with `--queries` adds reports or overrides them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How much a report's findings matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!("unknown severity `{other}` (expected info, low, medium, high or critical)")),
        }
    }
}

/// One named report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remedy: Option<String>,
    pub sql: String,
    /// The file it was read from; none for a built-in report.
    pub path: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {message} (a report starts with `-- title:`, `-- severity:` and `-- description:` lines)")]
    Header { file: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("no report named `{0}` (run `s3logq reports` for the list)")]
    Unknown(String),
}

const BUILTIN: [(&str, &str); 10] = [
    ("sigv2-callers", include_str!("../../queries/sigv2-callers.sql")),
    ("presigned-usage", include_str!("../../queries/presigned-usage.sql")),
    ("presigned-temporary-credentials", include_str!("../../queries/presigned-temporary-credentials.sql")),
    ("presigned-leak-suspects", include_str!("../../queries/presigned-leak-suspects.sql")),
    ("expired-credentials", include_str!("../../queries/expired-credentials.sql")),
    ("access-denied", include_str!("../../queries/access-denied.sql")),
    ("anonymous-access", include_str!("../../queries/anonymous-access.sql")),
    ("insecure-tls", include_str!("../../queries/insecure-tls.sql")),
    ("access-points", include_str!("../../queries/access-points.sql")),
    ("top-talkers", include_str!("../../queries/top-talkers.sql")),
];

impl Report {
    /// Reads a report from its SQL file's text (read from `path`, or
    /// built in when none).
    pub fn parse(name: &str, text: &str, path: Option<&Path>) -> Result<Report, CatalogError> {
        let file = path.map_or_else(|| format!("{name}.sql"), |p| p.display().to_string());
        let header_error = |message: &str| CatalogError::Header { file: file.clone(), message: message.into() };
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut body = Vec::new();
        let mut in_header = true;
        for line in text.lines() {
            let comment = line.trim_start().strip_prefix("--").filter(|_| in_header);
            match comment {
                Some(c) => match (c.split_once(':'), c.starts_with("   ")) {
                    (Some((key, value)), false) => fields.push((key.trim().to_string(), value.trim().to_string())),
                    _ => match fields.last_mut() {
                        Some((_, v)) => {
                            v.push(' ');
                            v.push_str(c.trim());
                        }
                        None => return Err(header_error("a header line must be `-- key: value`")),
                    },
                },
                None => {
                    in_header = false;
                    body.push(line);
                }
            }
        }
        let field = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let sql = body.join("\n").trim().to_string();
        if sql.is_empty() {
            return Err(header_error("no SQL after the header"));
        }
        Ok(Report {
            name: name.to_string(),
            title: field("title").ok_or_else(|| header_error("missing `-- title:`"))?,
            severity: field("severity")
                .ok_or_else(|| header_error("missing `-- severity:`"))?
                .parse()
                .map_err(|e: String| header_error(&e))?,
            description: field("description").ok_or_else(|| header_error("missing `-- description:`"))?,
            remedy: field("remedy"),
            sql,
            path: path.map(Path::to_path_buf),
        })
    }

    /// How an error names the report: `report `NAME``, and the file it was
    /// read from unless it is built in.
    pub fn label(&self) -> String {
        match &self.path {
            Some(path) => format!("report `{}` ({})", self.name, path.display()),
            None => format!("report `{}`", self.name),
        }
    }
}

/// The built-in reports, then those of `dir` (a report of the same name
/// replaces the built-in one).
pub fn catalog(dir: Option<&Path>) -> Result<Vec<Report>, CatalogError> {
    let mut reports =
        BUILTIN.iter().map(|(name, text)| Report::parse(name, text, None)).collect::<Result<Vec<_>, _>>()?;
    let Some(dir) = dir else { return Ok(reports) };
    let io = |source| CatalogError::Io { path: dir.display().to_string(), source };
    let mut files: Vec<_> = std::fs::read_dir(dir).map_err(io)?.collect::<Result<Vec<_>, _>>().map_err(io)?;
    files.sort_by_key(|e| e.path());
    for entry in files {
        let path = entry.path();
        let Some(name) = path.extension().filter(|e| *e == "sql").and(path.file_stem()).and_then(|s| s.to_str()) else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|source| CatalogError::Io { path: path.display().to_string(), source })?;
        let report = Report::parse(name, &text, Some(&path))?;
        match reports.iter_mut().find(|r| r.name == report.name) {
            Some(existing) => *existing = report,
            None => reports.push(report),
        }
    }
    Ok(reports)
}

/// The reports named in `only` (all when empty), in catalog order.
pub fn select(reports: Vec<Report>, only: &[String]) -> Result<Vec<Report>, CatalogError> {
    if let Some(unknown) = only.iter().find(|n| !reports.iter().any(|r| &r.name == *n)) {
        return Err(CatalogError::Unknown(unknown.clone()));
    }
    Ok(reports.into_iter().filter(|r| only.is_empty() || only.contains(&r.name)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_reports_have_complete_headers() {
        let reports = catalog(None).unwrap();
        assert_eq!(reports.len(), 10);
        let sigv2 = &reports[0];
        assert_eq!(
            (sigv2.name.as_str(), sigv2.title.as_str(), sigv2.severity),
            ("sigv2-callers", "SigV2 callers", Severity::High)
        );
        assert!(sigv2.description.starts_with("Who still signs requests with Signature Version 2"));
        assert!(sigv2.remedy.as_deref().unwrap().contains("\"s3:signatureversion\": \"AWS\""));
        assert!(sigv2.sql.starts_with("SELECT"));
        assert!(reports.iter().all(|r| r.sql.contains("AS requests")), "every report counts requests");
    }

    #[test]
    fn a_folder_adds_and_overrides_reports() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("top-talkers.sql"),
            "-- title: Mine\n-- severity: low\n-- description: d\nSELECT 1 AS requests",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("extra.sql"),
            "-- title: Extra\n-- severity: critical\n-- description: two\n--   lines\nSELECT 2 AS requests",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let reports = catalog(Some(dir.path())).unwrap();
        assert_eq!(reports.len(), 11);
        let top = reports.iter().find(|r| r.name == "top-talkers").unwrap();
        assert_eq!((top.title.as_str(), top.severity), ("Mine", Severity::Low));
        let extra = reports.last().unwrap();
        assert_eq!((extra.name.as_str(), extra.description.as_str()), ("extra", "two lines"));
        assert_eq!(extra.label(), format!("report `extra` ({})", dir.path().join("extra.sql").display()));
        assert_eq!(reports[0].label(), "report `sigv2-callers`", "a built-in report names no file");
        assert!(select(reports.clone(), &["nope".into()]).is_err());
        assert_eq!(select(reports, &["extra".into()]).unwrap().len(), 1);
    }

    #[test]
    fn headers_are_checked() {
        let err = Report::parse("x", "-- title: t\nSELECT 1", None).unwrap_err().to_string();
        assert!(err.starts_with("x.sql: missing `-- severity:`"), "{err}");
        let err = Report::parse(
            "x",
            "-- title: t\n-- severity: huge\n-- description: d\nSELECT 1",
            Some(Path::new("q/x.sql")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("q/x.sql: unknown severity `huge`"), "{err}");
    }
}
