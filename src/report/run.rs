//! Running many reports over one input with one parse: each report's plan is
//! asked which `logs` columns it reads, the input is scanned once for the
//! union of those columns, and every batch is handed to all reports at once
//! (shared, not copied) through bounded channels, so the reports run side by
//! side over one stream and memory stays bounded.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
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

/// The `logs` columns a plan reads, and how many times it scans `logs`.
fn scanned_columns(plan: &LogicalPlan, into: &mut BTreeSet<usize>) -> Result<usize> {
    let mut scans = 0;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && scan.table_name.table() == TABLE_NAME
        {
            scans += 1;
            match &scan.projection {
                Some(p) => into.extend(p.iter().copied()),
                None => into.extend(0..Column::ALL.len()),
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(scans)
}

type Feed = mpsc::Receiver<Result<RecordBatch>>;

/// Batches this many deep per report before the scan waits for it.
const FEED_DEPTH: usize = 4;

/// `logs` for one report: each scan takes the next feed of batches.
struct FedTable {
    schema: SchemaRef,
    feeds: Mutex<Vec<Feed>>,
}

impl fmt::Debug for FedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FedTable")
    }
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
        let feed = self
            .feeds
            .lock()
            .map_err(|_| DataFusionError::Internal("feed lock poisoned".into()))?
            .pop()
            .ok_or_else(|| DataFusionError::Internal("a report scanned `logs` more often than planned".into()))?;
        let projection: Vec<usize> = projection.cloned().unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        let schema = Arc::new(self.schema.project(&projection)?);
        let partition = FedPartition { schema: schema.clone(), projection, feed: Mutex::new(Some(feed)) };
        Ok(Arc::new(StreamingTableExec::try_new(schema, vec![Arc::new(partition)], None, [], false, None)?))
    }
}

struct FedPartition {
    schema: SchemaRef,
    projection: Vec<usize>,
    feed: Mutex<Option<Feed>>,
}

impl fmt::Debug for FedPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FedPartition")
    }
}

impl PartitionStream for FedPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let feed = self.feed.lock().ok().and_then(|mut f| f.take());
        let projection = self.projection.clone();
        let batches = futures::stream::unfold(feed, move |feed| {
            let projection = projection.clone();
            async move {
                let mut feed = feed?;
                let next = feed.recv().await?;
                Some((next.and_then(|b| Ok(b.project(&projection)?)), Some(feed)))
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), batches))
    }
}

/// Runs `reports` over `table`. With `one_pass`, the input is scanned once
/// and fed to every report (raw text: one parse for all); otherwise each
/// report reads the table itself (a Parquet lake). Results are redacted.
pub async fn run_reports(
    reports: &[Report],
    table: Arc<dyn TableProvider>,
    one_pass: bool,
) -> Result<Vec<ReportResult>> {
    let planning = session(table)?;
    if !one_pass {
        let mut results = Vec::with_capacity(reports.len());
        for report in reports {
            results.push(run_one(&planning, report).await?);
        }
        return Ok(results);
    }
    let mut columns = BTreeSet::new();
    let mut scans = Vec::with_capacity(reports.len());
    for report in reports {
        let plan = planning.sql(&report.sql).await?.into_optimized_plan()?;
        scans.push(scanned_columns(&plan, &mut columns)?);
    }
    let list = columns.iter().map(|&i| format!("\"{}\"", Column::ALL[i].name())).collect::<Vec<_>>();
    let select = if list.is_empty() { "1 AS one".to_string() } else { list.join(", ") };
    let source = planning.sql(&format!("SELECT {select} FROM {TABLE_NAME}")).await?;
    let schema: SchemaRef = Arc::new(source.schema().as_arrow().clone());
    // Reports side by side already keep the cores busy; splitting each plan
    // into as many partitions as there are cores as well would make every
    // aggregate run twice (partial, then final) for no more parallelism.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let config = SessionConfig::new().with_target_partitions((cores / reports.len().max(1)).max(1));
    let mut senders = Vec::new();
    let mut runs = Vec::with_capacity(reports.len());
    for (report, &count) in reports.iter().zip(&scans) {
        let mut feeds = Vec::with_capacity(count);
        for _ in 0..count {
            // A report that scans `logs` twice (a self-join) may hold one
            // side back until the other ends: give it room for all.
            let (tx, rx) = mpsc::channel(if count > 1 { 1 << 20 } else { FEED_DEPTH });
            senders.push(tx);
            feeds.push(rx);
        }
        let fed = FedTable { schema: schema.clone(), feeds: Mutex::new(feeds) };
        let ctx = session_with(Arc::new(fed), config.clone())?;
        // Spawned, so that the reports' plans run on all the runtime's
        // workers rather than all on the task that polls them.
        let report = report.clone();
        runs.push(tokio::spawn(async move { run_one(&ctx, &report).await }));
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
    let batches = df.collect().await?.iter().map(redact_batch).collect::<Result<Vec<_>, _>>()?;
    let total_rows = batches.iter().map(RecordBatch::num_rows).sum();
    Ok(ReportResult { report: report.clone(), schema, batches, total_rows })
}
