//! Running many reports over one input with one parse: each report's plan is
//! asked which `logs` columns it reads, the input is scanned once for the
//! union of those columns into memory (string views compacted so the raw
//! chunks are freed), and every report then runs over that table.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringViewArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;

use super::catalog::Report;
use super::output::redact_batch;
use crate::schema::Column;
use crate::table::{TABLE_NAME, session};

/// One report's result rows.
#[derive(Debug, Clone)]
pub struct ReportResult {
    pub report: Report,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub total_rows: usize,
}

/// The `logs` columns a plan reads.
fn scanned_columns(plan: &LogicalPlan, into: &mut BTreeSet<usize>) -> Result<()> {
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && scan.table_name.table() == TABLE_NAME
        {
            match &scan.projection {
                Some(p) => into.extend(p.iter().copied()),
                None => into.extend(0..Column::ALL.len()),
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}

/// Copies the referenced bytes of string views out of the chunk buffers, so
/// the table keeps only what the reports read.
fn compact(batch: &RecordBatch) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .map(|c| match c.as_any().downcast_ref::<StringViewArray>() {
            Some(views) => Arc::new(views.gc()) as ArrayRef,
            None => c.clone(),
        })
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// Runs `reports` over `table`. With `gather`, the columns they need are
/// first read into memory once (for raw text: one parse for all reports).
/// Results are redacted.
pub async fn run_reports(reports: &[Report], table: Arc<dyn TableProvider>, gather: bool) -> Result<Vec<ReportResult>> {
    let planning = session(table)?;
    if !gather {
        return run_all(&planning, reports).await;
    }
    let mut columns = BTreeSet::new();
    for report in reports {
        let plan = planning.sql(&report.sql).await?.into_optimized_plan()?;
        scanned_columns(&plan, &mut columns)?;
    }
    let list = columns.iter().map(|&i| format!("\"{}\"", Column::ALL[i].name())).collect::<Vec<_>>();
    let select = if list.is_empty() { "count(*) AS n".to_string() } else { list.join(", ") };
    let df = planning.sql(&format!("SELECT {select} FROM {TABLE_NAME}")).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?.iter().map(compact).collect::<Result<Vec<_>>>()?;
    let partitions = spread(batches, planning.copied_config().target_partitions());
    let memory = MemTable::try_new(schema, partitions)?;
    run_all(&session(Arc::new(memory))?, reports).await
}

async fn run_all(ctx: &SessionContext, reports: &[Report]) -> Result<Vec<ReportResult>> {
    let mut results = Vec::with_capacity(reports.len());
    for report in reports {
        results.push(run_one(ctx, report).await?);
    }
    Ok(results)
}

fn spread(batches: Vec<RecordBatch>, partitions: usize) -> Vec<Vec<RecordBatch>> {
    let mut out = vec![Vec::new(); partitions.max(1)];
    for (i, b) in batches.into_iter().enumerate() {
        let n = out.len();
        out[i % n].push(b);
    }
    out
}

async fn run_one(ctx: &SessionContext, report: &Report) -> Result<ReportResult> {
    let df = ctx.sql(&report.sql).await?;
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?.iter().map(redact_batch).collect::<Result<Vec<_>, _>>()?;
    let total_rows = batches.iter().map(RecordBatch::num_rows).sum();
    Ok(ReportResult { report: report.clone(), schema, batches, total_rows })
}
