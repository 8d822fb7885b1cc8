//! Which of a query's `WHERE` conditions the scan of raw logs applies itself:
//! those that translate into a [`RecordTest`] with exactly SQL's outcome
//! (comparisons of a field as written, of `credential_failure` or of the
//! record's time with literals, `IN` lists, null checks, and `AND` / `OR` of
//! these). DataFusion is told they are applied exactly, so it plans no
//! filter of its own for them, and a column that only such a condition
//! reads is not built.

use datafusion::logical_expr::{BinaryExpr, Expr, Operator, expr::InList};
use datafusion::scalar::ScalarValue;

use crate::batch::{Comparison, RecordTest};
use crate::schema::Column;

/// The test that `filter` amounts to, if the scan can apply it exactly.
pub fn record_test(filter: &Expr) -> Option<RecordTest> {
    match filter {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::And, right }) => {
            Some(RecordTest::All(vec![record_test(left)?, record_test(right)?]))
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            Some(RecordTest::Any(vec![record_test(left)?, record_test(right)?]))
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let comparison = comparison(*op)?;
            match (field(left), field(right)) {
                (Some(column), None) => compare(column, comparison, right),
                (None, Some(column)) => compare(column, comparison.swapped(), left),
                _ => None,
            }
        }
        Expr::InList(InList { expr, list, negated }) => in_list(field(expr)?, list, *negated),
        Expr::IsNull(expr) => null_check(field(expr)?, false),
        Expr::IsNotNull(expr) => null_check(field(expr)?, true),
        _ => None,
    }
}

/// The `logs` column that `expr` names.
fn field(expr: &Expr) -> Option<Column> {
    let Expr::Column(column) = expr else {
        return None;
    };
    Column::ALL.iter().copied().find(|c| c.name() == column.name)
}

fn comparison(op: Operator) -> Option<Comparison> {
    Some(match op {
        Operator::Eq => Comparison::Eq,
        Operator::NotEq => Comparison::NotEq,
        Operator::Lt => Comparison::Lt,
        Operator::LtEq => Comparison::LtEq,
        Operator::Gt => Comparison::Gt,
        Operator::GtEq => Comparison::GtEq,
        _ => return None,
    })
}

/// `column <comparison> literal`: equality for text (other orders are left
/// to DataFusion), any comparison for numbers and for the record's time.
fn compare(column: Column, comparison: Comparison, literal: &Expr) -> Option<RecordTest> {
    if column == Column::Time {
        return Some(RecordTest::Time { comparison, micros: micros(literal)? });
    }
    if RecordTest::reads_text(column) {
        let negated = match comparison {
            Comparison::Eq => false,
            Comparison::NotEq => true,
            _ => return None,
        };
        return Some(RecordTest::Text { column, values: vec![text(literal)?], negated });
    }
    if RecordTest::reads_number(column) {
        return Some(RecordTest::Number { column, comparison, value: integer(literal)? });
    }
    None
}

/// `column [NOT] IN (literals)`, none of them null.
fn in_list(column: Column, list: &[Expr], negated: bool) -> Option<RecordTest> {
    if RecordTest::reads_text(column) {
        let values = list.iter().map(text).collect::<Option<_>>()?;
        return Some(RecordTest::Text { column, values, negated });
    }
    if RecordTest::reads_number(column) {
        let comparison = if negated { Comparison::NotEq } else { Comparison::Eq };
        let tests = list
            .iter()
            .map(|v| Some(RecordTest::Number { column, comparison, value: integer(v)? }))
            .collect::<Option<_>>()?;
        return Some(if negated { RecordTest::All(tests) } else { RecordTest::Any(tests) });
    }
    None
}

fn null_check(column: Column, negated: bool) -> Option<RecordTest> {
    (RecordTest::reads_text(column) || RecordTest::reads_number(column)).then_some(RecordTest::Null { column, negated })
}

/// A text literal's bytes.
fn text(expr: &Expr) -> Option<Vec<u8>> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)),
            _,
        ) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

/// A moment in the time column's own type (µs, UTC), as the comparison
/// sees it once DataFusion has cast the literal to that type.
fn micros(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(ScalarValue::TimestampMicrosecond(Some(micros), Some(zone)), _) if zone.as_ref() == "UTC" => {
            Some(*micros)
        }
        _ => None,
    }
}

/// An integer literal's value.
fn integer(expr: &Expr) -> Option<i64> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    match value {
        ScalarValue::Int8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int64(Some(n)) => Some(*n),
        ScalarValue::UInt8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::UInt64(Some(n)) => i64::try_from(*n).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use datafusion::arrow::array::RecordBatch;
    use datafusion::arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::physical_plan::displayable;
    use datafusion::prelude::SessionContext;

    use super::super::{LogTable, session};
    use crate::batch::{FetchPolicy, ScanReport};
    use crate::schema::logs_schema;
    use crate::source::resolve_inputs;
    use crate::window::TimeWindow;

    /// `logs` over `sample-logs/` as the scan reads it, and the same rows
    /// from memory, where every condition is DataFusion's own filter.
    async fn sample_tables() -> (SessionContext, SessionContext) {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs").display().to_string();
        let inputs = resolve_inputs(&[sample]).expect("sample logs");
        let fetch = FetchPolicy { concurrency: 2, ..FetchPolicy::default() };
        let table = LogTable::new(inputs, Arc::new(ScanReport::default()), TimeWindow::default(), fetch);
        let scanned = session(Arc::new(table)).expect("session");
        let rows = scanned.sql("SELECT * FROM logs").await.expect("plan").collect().await.expect("scan");
        let in_memory = MemTable::try_new(logs_schema(), vec![rows]).expect("table");
        (scanned, session(Arc::new(in_memory)).expect("session"))
    }

    async fn run(ctx: &SessionContext, sql: &str) -> (Vec<RecordBatch>, String) {
        let df = ctx.sql(sql).await.expect("plan");
        let plan = df.clone().create_physical_plan().await.expect("physical plan");
        (df.collect().await.expect("run"), displayable(plan.as_ref()).indent(true).to_string())
    }

    #[test]
    fn conditions_translate_with_the_field_on_either_side() {
        use datafusion::prelude::{col, lit};

        use crate::batch::{Comparison, RecordTest};
        use crate::schema::Column;

        let status = |comparison, value| RecordTest::Number { column: Column::HttpStatus, comparison, value };
        assert_eq!(super::record_test(&lit(400).gt(col("http_status"))), Some(status(Comparison::Lt, 400)));
        assert_eq!(super::record_test(&col("http_status").gt_eq(lit(500i32))), Some(status(Comparison::GtEq, 500)));
        assert_eq!(
            super::record_test(&col("http_status").in_list(vec![lit(200), lit(204)], true)),
            Some(RecordTest::All(vec![status(Comparison::NotEq, 200), status(Comparison::NotEq, 204)]))
        );
        assert_eq!(
            super::record_test(&lit("SigV2").eq(col("signature_version"))),
            Some(RecordTest::Text {
                column: Column::SignatureVersion,
                values: vec![b"SigV2".to_vec()],
                negated: false
            })
        );
        // Text order, derived columns, nulls in a list, other shapes: no.
        assert_eq!(super::record_test(&col("user_agent").lt(lit("b"))), None);
        assert_eq!(super::record_test(&col("requester_kind").eq(lit("root"))), None);
        assert_eq!(
            super::record_test(
                &col("key").in_list(vec![lit("a"), lit(datafusion::scalar::ScalarValue::Utf8(None))], false)
            ),
            None
        );
        assert_eq!(super::record_test(&col("http_status").eq(col("object_size"))), None);
    }

    #[tokio::test]
    async fn the_scan_keeps_exactly_the_rows_a_filter_keeps() {
        let (scanned, in_memory) = sample_tables().await;
        let pushed = [
            "signature_version = 'SigV2'",
            "'SigV2' = signature_version",
            "signature_version <> 'SigV4'",
            "error_code IN ('ExpiredToken', 'TokenRefreshRequired') \
             OR (http_status = 403 AND error_code = 'AccessDenied' AND authentication_type = 'QueryString')",
            "requester IS NULL",
            "requester IS NOT NULL AND bytes_sent > 1000",
            "http_status NOT IN (200, 204, 206, 304, 307)",
            "http_status IN (403, 404, 405, 409, 412)",
            "key IN ('a', 'b', 'c', 'photos/cat.jpg', 'index.html')",
            "400 > http_status",
            "object_size <= 0 OR total_time_ms < 10",
            "key NOT IN ('photos/cat.jpg', 'index.html')",
            "access_point_arn IS NOT NULL",
            "bucket = 'example-bucket' AND operation = 'REST.GET.OBJECT'",
            // Simplified by DataFusion into `signature_version <> 'SigV2'`.
            "NOT (signature_version = 'SigV2')",
            "time >= TIMESTAMP '2026-11-21T04:00:00Z' AND time < '2026-11-22T02:15:00+00:00'",
            "time = TIMESTAMP '2026-11-20T09:01:00Z' OR time > TIMESTAMP '2026-11-22T01:02:00Z'",
            "credential_failure IS NOT NULL",
            "http_status = 403 AND credential_failure IS NULL",
            "credential_failure IN ('presigned_expired', 'expired_token')",
        ];
        let left_to_datafusion = [
            "lower(operation) = 'rest.get.object'",
            "requester_kind = 'iam_user'",
            "user_agent > 'b'",
            "coalesce(signature_version, 'none') = 'none'",
            "signature_version = 'SigV2' OR requester_kind = 'root'",
            "date_part('hour', time) = 9",
        ];
        let mut kept = Vec::new();
        for (condition, pushed_down) in
            pushed.iter().map(|c| (c, true)).chain(left_to_datafusion.iter().map(|c| (c, false)))
        {
            let sql = format!("SELECT source_file, source_line FROM logs WHERE {condition} ORDER BY 1, 2");
            let (rows, plan) = run(&scanned, &sql).await;
            let (expected, _) = run(&in_memory, &sql).await;
            let table = |b: &[RecordBatch]| pretty_format_batches(b).expect("format").to_string();
            assert_eq!(table(&rows), table(&expected), "{condition}");
            assert_eq!(!plan.contains("FilterExec"), pushed_down, "{condition}:\n{plan}");
            kept.push(rows.iter().map(RecordBatch::num_rows).sum::<usize>());
        }
        assert!(kept.iter().filter(|n| **n > 0).count() >= 15, "the conditions select rows: {kept:?}");
    }
}
