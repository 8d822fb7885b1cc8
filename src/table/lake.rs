//! A Parquet lake written by `s3logq ingest` as the table `logs`: only the
//! files the manifest commits and whose time range meets the window are
//! read, and records outside the window are filtered out, so queries and
//! reports give the same answers as on the raw logs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Int64Type, SchemaRef, TimestampMicrosecondType};
use datafusion::catalog::{MemTable, Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::{DataFusionError, Result};
use datafusion::functions_aggregate::expr_fn::{count, max, min};
use datafusion::logical_expr::{Expr, ExprFunctionExt, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionContext, col, lit};

use super::LogsError;
use crate::batch::StoredRecords;
use crate::schema::logs_schema;
use crate::source::manifest::LakeFiles;
use crate::window::{TimeSpan, TimeWindow};

fn timestamp(micros: i64) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(micros), Some("UTC".into()))
}

/// How many records the lake holds, how many of them lie in `window`, when
/// the others were, and how many lines ingest rejected, as the raw logs
/// would say: the manifest's counts and the files' time ranges, and for a
/// bounded window one pass over the times of the records in the files that
/// meet it.
pub async fn records_in(dir: &Path, lake: &LakeFiles, window: TimeWindow) -> Result<StoredRecords, LogsError> {
    let stored = lake.files().map(|f| f.rows).sum();
    let rejected_at_ingest = lake.rejected_lines();
    if window.is_open() {
        return Ok(StoredRecords { stored, in_window: stored, rejected_at_ingest, outside_span: None });
    }
    let files = lake.files_in(dir, window.since, window.until)?;
    let table = files_table(files, TimeWindow::default())
        .map_err(|source| LogsError::LakeTable { dir: dir.display().to_string(), source })?;
    let (in_window, outside_span) = window_counts(table, window)
        .await
        .map_err(|source| LogsError::LakeCount { dir: dir.display().to_string(), source })?;
    let missing = lake.files_missing(window.since, window.until).filter(|f| f.rows > 0);
    let missing_span =
        missing.fold(None, |span, f| TimeSpan::joined(span, Some(TimeSpan { first: f.min_time, last: f.max_time })));
    let outside_span = TimeSpan::joined(outside_span, missing_span);
    Ok(StoredRecords { stored, in_window, rejected_at_ingest, outside_span })
}

/// How many records of `table` lie in `window`, and the earliest and latest
/// times of the others.
async fn window_counts(table: Arc<dyn TableProvider>, window: TimeWindow) -> Result<(u64, Option<TimeSpan>)> {
    let inside = in_window(window).unwrap_or(lit(true));
    let outside = inside.clone().is_not_true();
    let aggregates = vec![
        count(lit(1)).filter(inside).build()?,
        min(col("time")).filter(outside.clone()).build()?,
        max(col("time")).filter(outside).build()?,
    ];
    let batches = SessionContext::new().read_table(table)?.aggregate(vec![], aggregates)?.collect().await?;
    let Some(row) = batches.iter().find(|b| b.num_rows() > 0) else { return Ok((0, None)) };
    let in_window = row.column(0).as_primitive::<Int64Type>().value(0) as u64;
    let first = row.column(1).as_primitive::<TimestampMicrosecondType>();
    let last = row.column(2).as_primitive::<TimestampMicrosecondType>();
    let outside_span = first.is_valid(0).then(|| TimeSpan { first: first.value(0), last: last.value(0) });
    Ok((in_window, outside_span))
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
    let listing = Arc::new(ListingTable::try_new(config)?);
    let table: Arc<dyn TableProvider> = Arc::new(StillThere { files, listing });
    match in_window(window) {
        Some(condition) => Ok(SessionContext::new().read_table(table)?.filter(condition)?.into_view()),
        None => Ok(table),
    }
}

/// The condition that a record's time lies in `window` (none when it is
/// open).
fn in_window(window: TimeWindow) -> Option<Expr> {
    let since = window.since.map(|s| col("time").gt_eq(lit(timestamp(s))));
    let until = window.until.map(|u| col("time").lt(lit(timestamp(u))));
    [since, until].into_iter().flatten().reduce(Expr::and)
}

/// A lake's files as one table whose scans make sure, once DataFusion has
/// listed the files, that each is still there. A file an ingest deleted
/// before the listing (a changed source's file, replaced, or a pending one,
/// renamed) would otherwise be left out of the answer without a word: the
/// listing takes a missing file for an empty folder. A file is never
/// written again under a name once gone, so one still there after the
/// listing was there during it; one deleted later fails the read itself.
#[derive(Debug)]
struct StillThere {
    files: Vec<PathBuf>,
    listing: Arc<ListingTable>,
}

#[async_trait]
impl TableProvider for StillThere {
    fn schema(&self) -> SchemaRef {
        self.listing.schema()
    }

    fn table_type(&self) -> TableType {
        self.listing.table_type()
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        self.listing.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.listing.scan(state, projection, filters, limit).await?;
        match self.files.iter().find(|f| !f.is_file()) {
            Some(gone) => {
                Err(DataFusionError::External(Box::new(LogsError::LakeChanged { path: gone.display().to_string() })))
            }
            None => Ok(plan),
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::RecordBatch;
    use datafusion::parquet::arrow::ArrowWriter;

    use super::*;

    /// An empty Parquet file of the `logs` columns at `path`.
    fn empty_file(path: &Path) -> PathBuf {
        let mut writer = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), logs_schema(), None).unwrap();
        writer.write(&RecordBatch::new_empty(logs_schema())).unwrap();
        writer.close().unwrap();
        path.to_path_buf()
    }

    #[tokio::test]
    async fn a_file_deleted_before_the_listing_fails_the_scan_rather_than_leave_it_out() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![empty_file(&dir.path().join("a.parquet")), empty_file(&dir.path().join("b.parquet"))];
        for window in [TimeWindow::default(), TimeWindow { since: Some(0), until: None }] {
            let table = files_table(files.clone(), window).unwrap();
            assert_eq!(SessionContext::new().read_table(table).unwrap().count().await.unwrap(), 0);
        }
        let table = files_table(files.clone(), TimeWindow::default()).unwrap();
        std::fs::remove_file(&files[1]).unwrap();
        let error = SessionContext::new().read_table(table).unwrap().count().await.unwrap_err();
        let expected = format!("{}: an ingest replaced this data file", files[1].display());
        assert!(error.to_string().contains(&expected), "{error}");
    }
}
