//! Running many reports over one input with one parse: each report is
//! planned once against a `logs` that records which columns it reads, the
//! input is scanned once for the union of those columns, and every batch is
//! handed to all reports at once (shared, not copied) through bounded
//! channels, so the reports run side by side over one stream and memory
//! stays bounded.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::catalog::Report;
use super::output::redact_batch;
use crate::schema::Column;
use crate::table::{TABLE_NAME, session, session_with};

/// One report's result rows.
#[derive(Debug, Clone)]
pub struct ReportResult {
    pub report: Report,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub total_rows: usize,
}

type Feed = mpsc::Receiver<Result<RecordBatch>>;

/// Batches this many deep per report before the scan waits for it.
const FEED_DEPTH: usize = 4;

/// `logs` for one report. Planning the report calls [`FedTable::scan`] once
/// for each time it reads `logs`, which records the columns read; the
/// batches come later, when every report is planned and the input is
/// scanned once for all their columns.
struct FedTable {
    schema: SchemaRef,
    scans: Mutex<Vec<Arc<FedPartition>>>,
}

impl fmt::Debug for FedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FedTable")
    }
}

impl FedTable {
    fn scans(&self) -> Result<Vec<Arc<FedPartition>>> {
        Ok(self.scans.lock().map_err(|_| lock_poisoned())?.clone())
    }
}

fn lock_poisoned() -> DataFusionError {
    DataFusionError::Internal("fed table lock poisoned".into())
}

#[async_trait]
impl TableProvider for FedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let columns: Vec<usize> = projection.cloned().unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        let schema = Arc::new(self.schema.project(&columns)?);
        let partition = Arc::new(FedPartition { schema: schema.clone(), columns, feed: Mutex::new(None) });
        self.scans.lock().map_err(|_| lock_poisoned())?.push(partition.clone());
        Ok(Arc::new(StreamingTableExec::try_new(schema, vec![partition], None, [], false, None)?))
    }
}

/// One scan of `logs` in a planned report.
struct FedPartition {
    schema: SchemaRef,
    /// The `logs` columns it reads.
    columns: Vec<usize>,
    /// Its batches, of the union of all reports' columns, and where its own
    /// columns are in them; set once the union is known.
    feed: Mutex<Option<(Feed, Vec<usize>)>>,
}

impl fmt::Debug for FedPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FedPartition")
    }
}

impl FedPartition {
    /// Connects the scan to `feed`, whose batches hold the `union` columns.
    fn attach(&self, feed: Feed, union: &[usize]) -> Result<()> {
        let positions = self
            .columns
            .iter()
            .map(|c| {
                union.binary_search(c).map_err(|_| DataFusionError::Internal("a scanned column was not read".into()))
            })
            .collect::<Result<_>>()?;
        *self.feed.lock().map_err(|_| lock_poisoned())? = Some((feed, positions));
        Ok(())
    }
}

impl PartitionStream for FedPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let feed = self.feed.lock().ok().and_then(|mut f| f.take());
        let batches = futures::stream::unfold(feed, |feed| async move {
            let (mut feed, positions) = feed?;
            let next = feed.recv().await?.and_then(|b| Ok(b.project(&positions)?));
            Some((next, Some((feed, positions))))
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), batches))
    }
}

/// A report planned against its [`FedTable`], ready to run once fed.
struct PlannedReport {
    report: Report,
    ctx: SessionContext,
    schema: SchemaRef,
    plan: Arc<dyn ExecutionPlan>,
    scans: Vec<Arc<FedPartition>>,
}

async fn plan_fed(report: &Report, logs: &SchemaRef, config: &SessionConfig) -> Result<PlannedReport> {
    let fed = Arc::new(FedTable { schema: logs.clone(), scans: Mutex::default() });
    let ctx = session_with(fed.clone(), config.clone())?;
    let df = ctx.sql(&report.sql).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let plan = df.create_physical_plan().await?;
    Ok(PlannedReport { report: report.clone(), ctx, schema, plan, scans: fed.scans()? })
}

/// Runs `reports` over `table`. With `one_pass`, every report is planned
/// first, the input is scanned once for the union of the columns they read
/// and fed to all of them (raw text: one parse for all); otherwise each
/// report reads the table itself (a Parquet lake). Results are redacted.
pub async fn run_reports(
    reports: &[Report],
    table: Arc<dyn TableProvider>,
    one_pass: bool,
) -> Result<Vec<ReportResult>> {
    let logs = table.schema();
    let source_session = session(table)?;
    if !one_pass {
        let mut results = Vec::with_capacity(reports.len());
        for report in reports {
            results.push(run_one(&source_session, report).await?);
        }
        return Ok(results);
    }
    // Reports side by side already keep the cores busy; splitting each plan
    // into as many partitions as there are cores as well would make every
    // aggregate run twice (partial, then final) for no more parallelism.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let config = SessionConfig::new().with_target_partitions((cores / reports.len().max(1)).max(1));
    let mut planned = Vec::with_capacity(reports.len());
    for report in reports {
        planned.push(plan_fed(report, &logs, &config).await?);
    }
    let union: Vec<usize> = planned
        .iter()
        .flat_map(|p| p.scans.iter().flat_map(|s| s.columns.iter().copied()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let list = union.iter().map(|&i| format!("\"{}\"", Column::ALL[i].name())).collect::<Vec<_>>();
    let select = if list.is_empty() { "1 AS one".to_string() } else { list.join(", ") };
    let source = source_session.sql(&format!("SELECT {select} FROM {TABLE_NAME}")).await?;
    let mut senders = Vec::new();
    let mut runs = Vec::with_capacity(planned.len());
    for p in planned {
        for scan in &p.scans {
            // A report that scans `logs` twice (a self-join) may hold one
            // side back until the other ends: give it room for all.
            let (tx, rx) = mpsc::channel(if p.scans.len() > 1 { 1 << 20 } else { FEED_DEPTH });
            senders.push(tx);
            scan.attach(rx, &union)?;
        }
        // Spawned, so that the reports' plans run on all the runtime's
        // workers rather than all on the task that polls them.
        runs.push(tokio::spawn(async move {
            let batches = collect(p.plan, p.ctx.task_ctx()).await?;
            redacted_result(p.report, p.schema, &batches)
        }));
    }
    let mut stream = source.execute_stream().await?;
    let feeder = async move {
        while let Some(batch) = stream.next().await {
            let failed = batch.is_err();
            let batch = batch.map_err(Arc::new);
            let mut listening = 0;
            for tx in &senders {
                // A report that finished early (or failed) no longer listens.
                listening += usize::from(tx.send(batch.clone().map_err(DataFusionError::Shared)).await.is_ok());
            }
            if failed || listening == 0 {
                break;
            }
        }
    };
    let (results, ()) = tokio::join!(futures::future::join_all(runs), feeder);
    results.into_iter().map(|joined| joined.map_err(|e| DataFusionError::External(Box::new(e)))?).collect()
}

async fn run_one(ctx: &SessionContext, report: &Report) -> Result<ReportResult> {
    let df = ctx.sql(&report.sql).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    redacted_result(report.clone(), schema, &df.collect().await?)
}

fn redacted_result(report: Report, schema: SchemaRef, batches: &[RecordBatch]) -> Result<ReportResult> {
    let batches = batches.iter().map(redact_batch).collect::<Result<Vec<_>, _>>()?;
    let total_rows = batches.iter().map(RecordBatch::num_rows).sum();
    Ok(ReportResult { report, schema, batches, total_rows })
}
