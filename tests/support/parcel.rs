//! What every parcel of chunks must become, whatever its bytes: checked by
//! the parser's property test and by its fuzz target (`fuzz/`), which both
//! include this file.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;
use s3logq::batch::BatchBuilder;
use s3logq::chunk::Chunk;
use s3logq::schema::{Column, projected_schema};

/// Parses `chunks` (one input, numbered on from each chunk's first line)
/// into one batch of every column, checks that each line is a row or a
/// rejected line and never both, and that rows keep their lines' order;
/// in a debug build every text column is also validated in full by Arrow
/// when it is finished. Returns the line numbers of the rows.
pub fn rows_of_parcel(chunks: &[Chunk]) -> BTreeSet<i64> {
    let columns: Arc<[Column]> = Column::ALL.into();
    let builder = BatchBuilder::new(columns.clone(), projected_schema(&columns));
    let out = builder.build(chunks).expect("a batch of every column");
    let lines: u64 = chunks.iter().map(|c| lines_in(c.data.as_slice())).sum();
    assert_eq!(out.tallies.iter().map(|t| t.lines).sum::<u64>(), lines);
    assert_eq!(out.tallies.iter().map(|t| t.rows).sum::<u64>(), out.batch.num_rows() as u64);
    let rejected: BTreeSet<i64> = out.tallies.iter().flat_map(|t| &t.rejected).map(|r| r.line as i64).collect();
    assert_eq!(out.batch.num_rows() as u64 + rejected.len() as u64, lines);
    let at = columns.iter().position(|c| *c == Column::SourceLine).expect("source_line");
    let numbers = out.batch.column(at).as_primitive::<Int64Type>();
    assert!(numbers.values().windows(2).all(|w| w[0] < w[1]), "rows keep their lines' order");
    let rows: BTreeSet<i64> = numbers.iter().flatten().collect();
    assert!(rows.is_disjoint(&rejected), "a line is a row or rejected, not both");
    rows
}

/// Lines in a chunk's text as the parser counts them: a last line without
/// a newline is one.
fn lines_in(text: &[u8]) -> u64 {
    let newlines = text.iter().filter(|b| **b == b'\n').count() as u64;
    newlines + u64::from(!text.is_empty() && !text.ends_with(b"\n"))
}
