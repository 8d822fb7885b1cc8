//! Coverage-guided fuzzing of the parser's whole path from bytes to Arrow:
//! any bytes, cut into chunks at lines, become one batch of every column,
//! checked as the property test checks a parcel (`tests/support/parcel.rs`:
//! each line a row or a rejected line, rows in order, and in this debug
//! build every text column validated in full by Arrow).
//! `cargo +nightly fuzz run --dev -s none parcel`
#![no_main]

#[path = "../../tests/support/parcel.rs"]
mod parcel;

use libfuzzer_sys::fuzz_target;
use parcel::rows_of_parcel;
use s3logq::chunk::Chunk;

fuzz_target!(|input: &[u8]| {
    // The first byte says where chunks end: after every line whose number,
    // plus it, is a multiple of five.
    let Some((&cut, data)) = input.split_first() else { return };
    rows_of_parcel(&chunks_of(data, cut));
});

/// `data` cut into chunks after some of its lines, numbered as one input.
fn chunks_of(data: &[u8], cut: u8) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let (mut start, mut first_line) = (0, 1u64);
    for (number, end) in (1u64..).zip(line_ends(data)) {
        if (number + u64::from(cut)) % 5 == 0 || end == data.len() {
            let text = &data[start..end];
            chunks.push(Chunk::new("fuzz.log".into(), first_line, text.to_vec().into()));
            (start, first_line) = (end, number + 1);
        }
    }
    chunks
}

/// Where each line ends, its newline included; the last line may lack one.
fn line_ends(data: &[u8]) -> Vec<usize> {
    let mut ends: Vec<usize> = data.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1).collect();
    if ends.last().copied().unwrap_or(0) < data.len() {
        ends.push(data.len());
    }
    ends
}
