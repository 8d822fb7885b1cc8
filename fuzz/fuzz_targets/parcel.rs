//! Coverage-guided fuzzing of the parser's whole path from bytes to Arrow:
//! any bytes, cut into line-aligned chunks by the scan's own chunker of text
//! in memory, become one batch of every column, checked as the property test
//! checks a parcel (`tests/support/parcel.rs`: each line a row or a rejected
//! line, rows in order, and in this debug build every text column validated
//! in full by Arrow).
//! `cargo +nightly fuzz run --dev -s none parcel`
#![no_main]

#[path = "../../tests/support/parcel.rs"]
mod parcel;

use datafusion::arrow::buffer::Buffer;
use libfuzzer_sys::fuzz_target;
use parcel::rows_of_parcel;
use s3logq::chunk::{Chunk, WindowChunker};

fuzz_target!(|input: &[u8]| {
    // The first byte sets the chunks' target size: 1 to 256 bytes, so that
    // chunks end after all kinds of lines, and a line longer than the target
    // makes a chunk of its own.
    let Some((&target, data)) = input.split_first() else { return };
    let chunker = WindowChunker::in_memory(Buffer::from(data), "fuzz.log".into(), usize::from(target) + 1);
    let chunks: Vec<Chunk> = chunker.collect::<Result<_, _>>().expect("text in memory is always read");
    rows_of_parcel(&chunks);
});
