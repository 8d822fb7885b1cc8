//! A Parquet lake written by `s3logq ingest` as the table `logs`: only the
//! files the manifest commits and whose time range meets the window are
//! read, and records outside the window are filtered out, so queries and
//! reports give the same answers as on the raw logs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::catalog::{MemTable, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::{SessionContext, col, lit};

use super::LogsError;
use crate::schema::logs_schema;
use crate::source::manifest::LakeFiles;
use crate::window::TimeWindow;

fn timestamp(micros: i64) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(micros), Some("UTC".into()))
}

/// How many records the lake's files that meet `window` hold, and how many
/// of them lie in it: the files' own counts, and for a bounded window a
/// count of the records it keeps (their times only are read).
pub async fn records_in(dir: &Path, lake: &LakeFiles, window: TimeWindow) -> Result<(u64, u64), LogsError> {
    let stored = lake.files_meeting(window.since, window.until).map(|f| f.rows).sum();
    if window.is_open() {
        return Ok((stored, stored));
    }
    let table = lake_table(dir, lake, window)?;
    let count = async { SessionContext::new().read_table(table)?.count().await };
    let in_window = count.await.map_err(|source| LogsError::LakeCount { dir: dir.display().to_string(), source })?;
    Ok((stored, in_window as u64))
}

/// The lake at `dir` limited to `window`.
pub fn lake_table(dir: &Path, lake: &LakeFiles, window: TimeWindow) -> Result<Arc<dyn TableProvider>, LogsError> {
    let files = lake.files_in(dir, window.since, window.until)?;
    files_table(files, window).map_err(|source| LogsError::LakeTable { dir: dir.display().to_string(), source })
}

/// The Parquet `files` of a lake as one table, limited to `window`.
fn files_table(files: Vec<PathBuf>, window: TimeWindow) -> Result<Arc<dyn TableProvider>> {
    if files.is_empty() {
        return Ok(Arc::new(MemTable::try_new(logs_schema(), vec![vec![]])?));
    }
    let urls = files
        .iter()
        .map(|p| {
            let path = std::path::absolute(p).map_err(|e| DataFusionError::External(Box::new(e)))?;
            ListingTableUrl::parse(path.display().to_string())
        })
        .collect::<Result<Vec<_>>>()?;
    // Files are named one by one, some by their pending names (`.tmp`).
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension("");
    let config =
        ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).with_schema(logs_schema());
    let table: Arc<dyn TableProvider> = Arc::new(ListingTable::try_new(config)?);
    if window.is_open() {
        return Ok(table);
    }
    let mut df = SessionContext::new().read_table(table)?;
    if let Some(since) = window.since {
        df = df.filter(col("time").gt_eq(lit(timestamp(since))))?;
    }
    if let Some(until) = window.until {
        df = df.filter(col("time").lt(lit(timestamp(until))))?;
    }
    Ok(df.into_view())
}
