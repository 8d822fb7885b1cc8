//! The `logs` table for DataFusion: a `TableProvider` whose scans stream the
//! batches of [`crate::batch::spawn_scan`], building only the columns a query
//! uses, plus the UDFs that SQL cannot express well.

mod distinct_text;
pub mod lake;
mod pair_set;
mod pushdown;
pub mod udf;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::batch::{BatchBuilder, FetchPolicy, RecordTest, ScanReport, spawn_scan};
use crate::schema::{Column, logs_schema, projected_schema};
use crate::source::manifest::{LakeFiles, ManifestError, names_a_lake};
use crate::source::{Input, SourceError, StoreOptions, local_arg, resolve_all};
use crate::window::TimeWindow;

/// The name of the table in SQL.
pub const TABLE_NAME: &str = "logs";

/// S3 access logs read from a list of inputs.
#[derive(Clone)]
pub struct LogTable {
    inputs: Arc<[Input]>,
    report: Arc<ScanReport>,
    window: TimeWindow,
    fetch: FetchPolicy,
}

impl fmt::Debug for LogTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogTable").field("inputs", &self.inputs.len()).finish()
    }
}

impl LogTable {
    /// Every scan of the table adds its counts and rejected lines to
    /// `report`; records outside `window` are left out.
    pub fn new(inputs: Vec<Input>, report: Arc<ScanReport>, window: TimeWindow, fetch: FetchPolicy) -> Self {
        LogTable { inputs: inputs.into(), report, window, fetch }
    }

    /// The same inputs over the window of the same length that ends where
    /// this one starts (none for an unbounded window), with its own counts.
    pub fn previous_window(&self) -> Option<(LogTable, Arc<ScanReport>)> {
        let window = self.window.previous()?;
        let report = Arc::new(ScanReport::default());
        Some((LogTable { inputs: self.inputs.clone(), report: report.clone(), window, fetch: self.fetch }, report))
    }
}

#[async_trait]
impl TableProvider for LogTable {
    fn schema(&self) -> SchemaRef {
        logs_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// The conditions on fields as written are applied by the scan, exactly.
    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(exact_where(filters, scan_applies))
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let columns: Arc<[Column]> = match projection {
            Some(p) => p.iter().map(|&i| Column::ALL[i]).collect(),
            None => Column::ALL.into(),
        };
        let schema = projected_schema(&columns);
        let mut builder = BatchBuilder::new(columns, schema.clone()).with_window(self.window);
        if !filters.is_empty() {
            // Only the filters accepted as exact are handed down.
            let tests = filters.iter().map(pushdown::record_test).collect::<Option<Vec<_>>>().ok_or_else(|| {
                DataFusionError::Internal(format!("a filter the scan cannot apply was pushed down: {filters:?}"))
            })?;
            builder = builder.with_test(RecordTest::All(tests));
        }
        let partition = LogPartition {
            fetch: self.fetch,
            inputs: self.inputs.clone(),
            builder: Arc::new(builder),
            report: self.report.clone(),
        };
        let exec = StreamingTableExec::try_new(schema, vec![Arc::new(partition)], None, [], false, limit)?;
        Ok(Arc::new(exec))
    }
}

/// One scan of the inputs with a fixed projection.
struct LogPartition {
    fetch: FetchPolicy,
    inputs: Arc<[Input]>,
    builder: Arc<BatchBuilder>,
    report: Arc<ScanReport>,
}

impl fmt::Debug for LogPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogPartition").field("columns", &self.builder.schema().fields().len()).finish()
    }
}

impl PartitionStream for LogPartition {
    fn schema(&self) -> &SchemaRef {
        self.builder.schema()
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let rx = spawn_scan(self.inputs.clone(), self.builder.clone(), self.report.clone(), self.fetch);
        let batches = futures::stream::unfold(rx, |mut rx| async move {
            let next = rx.recv().await?;
            Some((next.map_err(|e| DataFusionError::External(Box::new(e))), rx))
        });
        Box::pin(RecordBatchStreamAdapter::new(self.builder.schema().clone(), batches))
    }
}

/// A provider's answer to which `filters` it applies: exactly those that
/// `applies` accepts, none of the others.
pub fn exact_where(filters: &[&Expr], applies: impl Fn(&Expr) -> bool) -> Vec<TableProviderFilterPushDown> {
    let answer = |f: &&Expr| {
        if applies(f) { TableProviderFilterPushDown::Exact } else { TableProviderFilterPushDown::Unsupported }
    };
    filters.iter().map(answer).collect()
}

/// Whether the scan of raw logs applies `condition` itself, exactly, while
/// parsing (see the `pushdown` module).
pub fn scan_applies(condition: &Expr) -> bool {
    pushdown::record_test(condition).is_some()
}

/// What the table `logs` is read from: raw log text, or a Parquet lake.
pub enum Logs {
    Raw(LogTable),
    Lake { dir: PathBuf, files: Arc<LakeFiles>, window: TimeWindow },
}

impl Logs {
    /// Resolves the command line's inputs (listing buckets, skipping objects
    /// outside the window); a lake must be the only input. What the scan
    /// reads is counted in `report`.
    pub async fn open(
        args: &[String],
        window: TimeWindow,
        store: &StoreOptions,
        report: Arc<ScanReport>,
    ) -> Result<Logs, LogsError> {
        let lakes: Vec<&String> = args.iter().filter(|a| names_a_lake(a)).collect();
        match (lakes.as_slice(), args.len()) {
            ([], _) => {
                let (found, pruned) = resolve_all(args, store, &window).await?;
                let inputs: Vec<Input> = found.into_iter().map(|f| f.input).collect();
                report.record_resolved(inputs.len() as u64, pruned as u64);
                let fetch = FetchPolicy::of(store);
                Ok(Logs::Raw(LogTable::new(inputs, report, window, fetch)))
            }
            ([lake], 1) => {
                let dir = PathBuf::from(local_arg(lake));
                let files = Arc::new(LakeFiles::load(&dir)?);
                let records = lake::records_in(&dir, &files, window).await?;
                report.record_stored(files.sources(), &records);
                Ok(Logs::Lake { dir, files, window })
            }
            _ => Err(LogsError::MixedLake),
        }
    }

    /// Bytes of input as stored (for progress).
    pub fn input_bytes(&self) -> u64 {
        match self {
            Logs::Raw(table) => table.inputs.iter().map(Input::stored_bytes).sum(),
            Logs::Lake { .. } => 0,
        }
    }

    /// The table provider, and whether it parses raw logs: reports then
    /// scan it once for all of them, and plans over it get a session of
    /// their own ([`session_config`]).
    pub fn provider(&self) -> Result<(Arc<dyn TableProvider>, bool), LogsError> {
        match self {
            Logs::Raw(table) => Ok((Arc::new(table.clone()), true)),
            Logs::Lake { dir, files, window } => Ok((lake::lake_table(dir, files, *window)?, false)),
        }
    }

    /// The same inputs over the window of the same length that ends where
    /// this one starts (none for an unbounded window), with its own counts.
    pub async fn previous_window(&self) -> Result<Option<(Logs, Arc<ScanReport>)>, LogsError> {
        match self {
            Logs::Raw(table) => Ok(table.previous_window().map(|(t, r)| (Logs::Raw(t), r))),
            Logs::Lake { dir, files, window } => {
                let Some(previous) = window.previous() else { return Ok(None) };
                let report = Arc::new(ScanReport::default());
                let records = lake::records_in(dir, files, previous).await?;
                report.record_stored(0, &records);
                Ok(Some((Logs::Lake { dir: dir.clone(), files: files.clone(), window: previous }, report)))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("a lake written by `s3logq ingest` must be the only input")]
    MixedLake,
    #[error("{dir}: counting the lake's records in the window failed: {source}")]
    LakeCount { dir: String, source: DataFusionError },
    #[error("{dir}: reading the lake's data files failed: {source}")]
    LakeTable { dir: String, source: DataFusionError },
    #[error(
        "{path}: an ingest replaced this data file of the lake while it was being read, \
         so the answer would lack its records; run again"
    )]
    LakeChanged { path: String },
}

/// A session with s3logq's UDFs and `table` as `logs`.
pub fn session(table: Arc<dyn TableProvider>) -> Result<SessionContext> {
    session_with(table, SessionConfig::new())
}

/// The configuration of a session over `logs` as [`Logs::provider`] gives
/// it. A scan of raw logs parses on every core by itself and hands the plan
/// one stream, which DataFusion would split across every core again, so its
/// plans run as [`plan_partitions`]; a lake's Parquet files are read by the
/// plan's own partitions, one per core (DataFusion's default).
pub fn session_config(parses_raw: bool) -> SessionConfig {
    let config = SessionConfig::new();
    if parses_raw { config.with_target_partitions(plan_partitions()) } else { config }
}

/// How many partitions the operators of a plan over raw logs (aggregates,
/// sorts, joins) run as: half the cores. On two cores one partition spares
/// each aggregate its partial and final halves and the repartitioning
/// between them, which cost more than the second partition gained.
pub fn plan_partitions() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (cores / 2).max(1)
}

/// [`session`] with a configuration of its own (how many partitions plans
/// run as, say).
pub fn session_with(table: Arc<dyn TableProvider>, config: SessionConfig) -> Result<SessionContext> {
    let ctx = SessionContext::new_with_config(config);
    ctx.register_table(TABLE_NAME, table)?;
    udf::register(&ctx);
    ctx.register_udaf(distinct_text::count_udaf());
    ctx.register_udaf(distinct_text::array_agg_udaf());
    Ok(ctx)
}
