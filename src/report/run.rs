//! Running many reports over one input with one parse: each report is
//! planned once against a `logs` that records which columns it reads, the
//! input is scanned once for the union of those columns, and every batch is
//! handed to all reports at once (shared, not copied) through bounded
//! channels, so the reports run side by side over one stream and memory
//! stays bounded. A report's row filter is applied where its batches arrive
//! rather than by a `FilterExec`, which would also copy the text of every
//! row it keeps into batches of its own; and when every report's condition
//! has a part the scan can test while parsing, the scan leaves out the rows
//! that none of them reads.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::DFSchema;
use datafusion::common::cast::as_boolean_array;
use datafusion::common::tree_node::TreeNode;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::expr_rewriter::unnormalize_cols;
use datafusion::logical_expr::utils::{conjunction, disjunction};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown, TableType};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::catalog::Report;
use super::output::redact_batch;
use crate::schema::Column;
use crate::table::{TABLE_NAME, exact_where, plan_partitions, scan_applies, session, session_with};

/// One report's result rows.
#[derive(Debug, Clone)]
pub struct ReportResult {
    pub report: Report,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub total_rows: usize,
}

/// Why running reports failed: reading the input, or one report.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The input could not be read or parsed: every report stops with it.
    #[error(transparent)]
    Input(DataFusionError),
    /// One report's SQL could not be planned or run; `report` is its
    /// [`Report::label`].
    #[error("{report}: {source}")]
    Report { report: String, source: DataFusionError },
}

impl RunError {
    fn of(report: &Report) -> impl FnOnce(DataFusionError) -> RunError + '_ {
        |source| RunError::Report { report: report.label(), source }
    }
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

    /// Every filter on a row's own values is applied by the scan itself.
    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(exact_where(filters, applies_to_rows))
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projection: Vec<usize> = projection.cloned().unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        // Columns named as the scanned schema names them, without the table.
        let predicate = conjunction(unnormalize_cols(filters.iter().cloned()));
        // The columns read: those handed on, and those only the filter needs.
        let mut columns: BTreeSet<usize> = projection.iter().copied().collect();
        for column in predicate.iter().flat_map(Expr::column_refs) {
            columns.insert(self.schema.index_of(&column.name)?);
        }
        let columns: Vec<usize> = columns.into_iter().collect();
        let read_schema = Arc::new(self.schema.project(&columns)?);
        let physical =
            predicate.clone().map(|p| state.create_physical_expr(p, &DFSchema::try_from(read_schema)?)).transpose()?;
        let kept = projection.iter().map(|c| position_of(&columns, *c)).collect::<Result<_>>()?;
        let schema = Arc::new(self.schema.project(&projection)?);
        let rows = RowFilter { predicate: physical, kept };
        let partition = Arc::new(FedPartition {
            schema: schema.clone(),
            columns,
            condition: predicate,
            rows,
            feed: Mutex::new(None),
        });
        self.scans.lock().map_err(|_| lock_poisoned())?.push(partition.clone());
        Ok(Arc::new(StreamingTableExec::try_new(schema, vec![partition], None, [], false, None)?))
    }
}

/// Whether `filter` is a condition on a row's own values that the scan can
/// evaluate: not a subquery, nothing volatile.
fn applies_to_rows(filter: &Expr) -> bool {
    let stays_in_plan = |e: &Expr| {
        matches!(
            e,
            Expr::ScalarSubquery(_)
                | Expr::Exists(_)
                | Expr::InSubquery(_)
                | Expr::OuterReferenceColumn(..)
                | Expr::Placeholder(_)
        )
    };
    !filter.is_volatile() && !filter.exists(|e| Ok(stays_in_plan(e))).unwrap_or(true)
}

/// Where `column` is in the sorted `columns`.
fn position_of(columns: &[usize], column: usize) -> Result<usize> {
    columns.binary_search(&column).map_err(|_| DataFusionError::Internal("a scanned column was not read".into()))
}

/// One scan of `logs` in a planned report.
struct FedPartition {
    schema: SchemaRef,
    /// The `logs` columns it reads, sorted.
    columns: Vec<usize>,
    /// The report's condition on the rows it reads, if it has one.
    condition: Option<Expr>,
    rows: RowFilter,
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
        let read = self.columns.iter().map(|c| position_of(union, *c)).collect::<Result<_>>()?;
        *self.feed.lock().map_err(|_| lock_poisoned())? = Some((feed, read));
        Ok(())
    }
}

/// What a scan hands on of the columns it reads: the rows that pass the
/// report's filter, of the columns the report asked for.
#[derive(Clone)]
struct RowFilter {
    /// The report's filters, if it has any.
    predicate: Option<Arc<dyn PhysicalExpr>>,
    /// Where the columns handed on are among those read.
    kept: Vec<usize>,
}

impl RowFilter {
    /// Filtering keeps the text where it is: a kept row's views still point
    /// into the chunk.
    fn apply(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let batch = match &self.predicate {
            Some(predicate) => {
                let passes = predicate.evaluate(batch)?.into_array(batch.num_rows())?;
                filter_record_batch(batch, as_boolean_array(&passes)?)?
            }
            None => batch.clone(),
        };
        Ok(batch.project(&self.kept)?)
    }
}

impl PartitionStream for FedPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let feed = self.feed.lock().ok().and_then(|mut f| f.take());
        let state = feed.map(|(feed, read)| (feed, read, self.rows.clone()));
        let batches = futures::stream::unfold(state, |state| async move {
            let (mut feed, read, rows) = state?;
            let next = feed.recv().await?.and_then(|b| rows.apply(&b.project(&read)?));
            Some((next, Some((feed, read, rows))))
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

/// Runs `reports` over `table`: every report is planned first, the input is
/// read once for the union of the columns they read and fed to all of them
/// (raw text: one parse for all; a Parquet lake: one read, which over the
/// 1 GiB generated log took 0.94–0.98 s for all ten against 1.29–1.34 s
/// with each report reading the lake itself). Results are redacted. An
/// error names the report that failed, unless the one read of the input
/// did.
pub async fn run_reports(reports: &[Report], table: Arc<dyn TableProvider>) -> Result<Vec<ReportResult>, RunError> {
    let logs = table.schema();
    let source_session = session(table).map_err(RunError::Input)?;
    let planned = plan_side_by_side(reports, &logs).await?;
    let union = columns_read(&planned);
    let mut source = source_session.sql(&select_columns(&union)).await.map_err(RunError::Input)?;
    if let Some(rows) = rows_any_report_reads(planned.iter().flat_map(|p| &p.scans).map(|s| s.condition.clone())) {
        source = source.filter(rows).map_err(RunError::Input)?;
    }
    let mut senders = Vec::new();
    let mut runs = Vec::with_capacity(planned.len());
    for p in planned {
        for scan in &p.scans {
            // A report that scans `logs` twice (a self-join) may hold one
            // side back until the other ends: give it room for all.
            let (tx, rx) = mpsc::channel(if p.scans.len() > 1 { 1 << 20 } else { FEED_DEPTH });
            senders.push(tx);
            scan.attach(rx, &union).map_err(RunError::of(&p.report))?;
        }
        let report = p.report.clone();
        // Spawned, so that the reports' plans run on all the runtime's
        // workers rather than all on the task that polls them.
        let run = tokio::spawn(async move {
            let batches = collect(p.plan, p.ctx.task_ctx()).await?;
            redacted_result(p.report, p.schema, &batches)
        });
        runs.push(async move { task_result(run.await).map_err(RunError::of(&report)) });
    }
    let stream = source.execute_stream().await.map_err(RunError::Input)?;
    let (results, fed) = tokio::join!(futures::future::join_all(runs), feed(stream, senders));
    // A failed input fails every report: say so once, naming none of them.
    fed.map_err(RunError::Input)?;
    results.into_iter().collect()
}

/// Plans every report, side by side, against a `logs` of this schema whose
/// batches are fed later: planning is all the work there is until the scan
/// starts.
async fn plan_side_by_side(reports: &[Report], logs: &SchemaRef) -> Result<Vec<PlannedReport>, RunError> {
    let config = SessionConfig::new().with_target_partitions(side_by_side_partitions(plan_partitions(), reports.len()));
    let plans = reports.iter().map(|report| {
        let (owned, logs, config) = (report.clone(), logs.clone(), config.clone());
        let plan = tokio::spawn(async move { plan_fed(&owned, &logs, &config).await });
        async { task_result(plan.await).map_err(RunError::of(report)) }
    });
    futures::future::try_join_all(plans).await
}

/// The `logs` columns that any scan of the planned reports reads, sorted.
fn columns_read(planned: &[PlannedReport]) -> Vec<usize> {
    let columns: BTreeSet<usize> =
        planned.iter().flat_map(|p| p.scans.iter().flat_map(|s| s.columns.iter().copied())).collect();
    columns.into_iter().collect()
}

/// The query that scans `columns` of `logs` (a constant when there are
/// none, so that rows are still counted).
fn select_columns(columns: &[usize]) -> String {
    let list = columns.iter().map(|&i| format!("\"{}\"", Column::ALL[i].name())).collect::<Vec<_>>();
    let select = if list.is_empty() { "1 AS one".to_string() } else { list.join(", ") };
    format!("SELECT {select} FROM {TABLE_NAME}")
}

/// Hands every batch of `stream` to every scan's channel, until the stream
/// ends or no report listens any more, or fails: the error goes to all, and
/// is returned.
async fn feed(mut stream: SendableRecordBatchStream, scans: Vec<mpsc::Sender<Result<RecordBatch>>>) -> Result<()> {
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(Arc::new);
        let mut listening = 0;
        for tx in &scans {
            // A report that finished early (or failed) no longer listens.
            listening += usize::from(tx.send(batch.clone().map_err(DataFusionError::Shared)).await.is_ok());
        }
        if let Err(e) = batch {
            return Err(DataFusionError::Shared(e));
        }
        if listening == 0 {
            break;
        }
    }
    Ok(())
}

/// When a plan over raw logs runs as at least this many partitions (half the
/// cores: [`plan_partitions`]), each of several reports run side by side
/// runs as that many too.
const SPLIT_FROM_PARTITIONS: usize = 4;

/// How many partitions each of `reports` run side by side runs as, when one
/// plan over raw logs runs as `plan_partitions`. On fewer than 8 cores they
/// divide them: the reports together fill the cores, and splitting each one
/// as well would run every aggregate twice (partial, then final) for no more
/// parallelism. From 8 cores on, the dearest reports' grouping, one thread
/// each, would hold the others back, so each gets the partitions of a single
/// plan. All ten over the 1 GiB file, cores limited by affinity on a 16-core
/// machine, medians (benches/README.md): on 4 cores 0.95–1.12 s with one
/// partition each against 1.11–1.24 s with two; on 8, 0.70–0.73 s with four
/// against 0.77–0.81 s with one; on 16, 0.49–0.58 s with eight against
/// 0.72–0.80 s with one.
fn side_by_side_partitions(plan_partitions: usize, reports: usize) -> usize {
    if plan_partitions >= SPLIT_FROM_PARTITIONS { plan_partitions } else { (plan_partitions / reports.max(1)).max(1) }
}

/// The rows that some report reads, given each scan's condition, when the
/// scan of raw logs can tell them (or a few more) itself while parsing:
/// every scan has a condition with a part the scan applies (see
/// [`testable_part`]). The other rows then build no column at all (each
/// report still applies its own whole condition).
fn rows_any_report_reads(conditions: impl Iterator<Item = Option<Expr>>) -> Option<Expr> {
    let parts = conditions.map(|condition| testable_part(&condition?)).collect::<Option<Vec<_>>>()?;
    let any = disjunction(parts)?;
    scan_applies(&any).then_some(any)
}

/// A condition that the scan applies and that holds wherever `condition`
/// holds: the condition itself where the scan applies it; for an `AND`, the
/// parts the scan applies (`a AND f(b)` holds only where `a` does); for an
/// `OR`, both sides' parts; otherwise none, as every row may pass.
fn testable_part(condition: &Expr) -> Option<Expr> {
    if scan_applies(condition) {
        return Some(condition.clone());
    }
    match condition {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::And, right }) => {
            match (testable_part(left), testable_part(right)) {
                (Some(left), Some(right)) => Some(left.and(right)),
                (one, other) => one.or(other),
            }
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            Some(testable_part(left)?.or(testable_part(right)?))
        }
        _ => None,
    }
}

/// What a spawned task returned, or why it did not finish.
fn task_result<T>(joined: std::result::Result<Result<T>, tokio::task::JoinError>) -> Result<T> {
    joined.map_err(|e| DataFusionError::External(Box::new(e)))?
}

fn redacted_result(report: Report, schema: SchemaRef, batches: &[RecordBatch]) -> Result<ReportResult> {
    let batches = batches.iter().map(redact_batch).collect::<Result<Vec<_>, _>>()?;
    let total_rows = batches.iter().map(RecordBatch::num_rows).sum();
    Ok(ReportResult { report, schema, batches, total_rows })
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};

    use super::*;

    #[test]
    fn reports_side_by_side_split_into_partitions_from_eight_cores_on() {
        // (partitions of one plan, reports) -> partitions of each report
        let cases = [((1, 10), 1), ((2, 10), 1), ((2, 1), 2), ((3, 2), 1), ((4, 10), 4), ((8, 10), 8), ((8, 0), 8)];
        for ((plan, reports), each) in cases {
            assert_eq!(side_by_side_partitions(plan, reports), each, "{plan} partitions, {reports} reports");
        }
    }

    #[test]
    fn the_scan_narrows_to_the_rows_some_report_reads_where_it_can_test_them() {
        let sigv2 = col("signature_version").eq(lit("SigV2"));
        let presigned = col("authentication_type").eq(lit("QueryString"));
        let derived = col("requester_kind").eq(lit("root"));
        assert_eq!(
            rows_any_report_reads([Some(sigv2.clone()), Some(presigned.clone())].into_iter()),
            Some(sigv2.clone().or(presigned.clone()))
        );
        assert_eq!(rows_any_report_reads([Some(sigv2.clone()), None].into_iter()), None, "a report reads every row");
        assert_eq!(rows_any_report_reads([Some(sigv2.clone()), Some(derived.clone())].into_iter()), None, "derived");
        assert_eq!(rows_any_report_reads(std::iter::empty()), None, "no scan of logs");
        // Of an `AND`, the parts the scan tests; an `OR` needs both sides.
        let presigned_root = presigned.clone().and(derived.clone());
        assert_eq!(
            rows_any_report_reads([Some(sigv2.clone()), Some(presigned_root.clone())].into_iter()),
            Some(sigv2.clone().or(presigned.clone()))
        );
        let nested = sigv2.clone().and(presigned_root.clone().or(presigned.clone().and(lit(true).eq(derived.clone()))));
        assert_eq!(testable_part(&nested), Some(sigv2.clone().and(presigned.clone().or(presigned.clone()))));
        assert_eq!(testable_part(&sigv2.clone().or(presigned_root)), Some(sigv2.clone().or(presigned.clone())));
        assert_eq!(testable_part(&sigv2.or(derived.clone())), None);
        assert_eq!(testable_part(&derived.and(lit(1).eq(lit(1)))), None);
    }
}
