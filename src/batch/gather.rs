//! Small inputs gathered on their way through the scan. A small file or
//! object (an S3 log object holds a few hundred records) is a chunk of its
//! own, and a batch of its own: handed on one by one, each would wake a
//! parser, and each batch would pay every downstream operator's (each
//! report's filter and aggregation) cost per batch. So the readers send
//! chunks in [`Parcel`]s of at least [`PARCEL_BYTES`], each parsed into one
//! batch, and the batches of small chunks are sent as one by
//! [`SmallBatches`].

use std::sync::{Mutex, PoisonError};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::error::ArrowError;

use crate::chunk::{CHUNK_BYTES, Chunk};

/// A parcel is sent once its chunks hold this many bytes: a chunk of a
/// large input goes on its own, small files' chunks go together.
const PARCEL_BYTES: usize = 1 << 20;

/// Chunks sent to the parsers together, in the order they were cut: a
/// parser takes a whole parcel. A chunk whose input goes on past it is
/// never held back behind a later chunk of the same input, so a parser
/// waiting for an earlier chunk's line count (see
/// [`crate::chunk::FirstLine`]) waits on a chunk already handed out.
#[derive(Default)]
pub(super) struct Parcel {
    chunks: Vec<Chunk>,
    bytes: usize,
}

impl Parcel {
    /// Adds `chunk`; the parcel's chunks, to send now, once they are
    /// [`PARCEL_BYTES`] or more.
    pub(super) fn add(&mut self, chunk: Chunk) -> Option<Vec<Chunk>> {
        self.bytes += chunk.data.len();
        self.chunks.push(chunk);
        (self.bytes >= PARCEL_BYTES).then(|| self.take())
    }

    /// The chunks still held, if any.
    pub(super) fn rest(mut self) -> Option<Vec<Chunk>> {
        (!self.chunks.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> Vec<Chunk> {
        self.bytes = 0;
        std::mem::take(&mut self.chunks)
    }
}

/// A batch parsed from chunks each of fewer bytes than this, and of fewer
/// than [`GATHERED_ROWS`] rows, is held back to be sent with others...
const SMALL_CHUNK_BYTES: usize = CHUNK_BYTES / 4;
/// ...until together they have this many rows or [`CHUNK_BYTES`] of chunks.
const GATHERED_ROWS: usize = 8192;

/// The batches of small chunks, held until together they are the size of
/// a chunk's and sent as one. A batch with a large chunk is sent as it is,
/// however few rows the scan's filter kept: its views keep the whole chunk
/// in memory, and holding many such batches would hold many chunks.
#[derive(Default)]
pub(super) struct SmallBatches {
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    batches: Vec<RecordBatch>,
    rows: usize,
    /// The bytes of the chunks they were parsed from.
    chunk_bytes: usize,
}

impl SmallBatches {
    /// What to send now of `batch`, parsed from `chunks`: itself, or the
    /// held batches as one when it makes them enough, or nothing.
    pub(super) fn add(&self, batch: RecordBatch, chunks: &[Chunk]) -> Result<Option<RecordBatch>, ArrowError> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(None);
        }
        let sizes = chunks.iter().map(|c| c.data.len());
        if rows >= GATHERED_ROWS || sizes.clone().max().unwrap_or(0) >= SMALL_CHUNK_BYTES {
            return Ok(Some(batch));
        }
        let chunk_bytes: usize = sizes.sum();
        let full = {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            held.batches.push(batch);
            held.rows += rows;
            held.chunk_bytes += chunk_bytes;
            if held.rows < GATHERED_ROWS && held.chunk_bytes < CHUNK_BYTES {
                return Ok(None);
            }
            std::mem::take(&mut *held)
        };
        joined(&full.batches)
    }

    /// The batches still held, as one.
    pub(super) fn rest(self) -> Result<Option<RecordBatch>, ArrowError> {
        joined(&self.held.into_inner().unwrap_or_else(PoisonError::into_inner).batches)
    }
}

/// `batches` as one batch (their text stays where it is: a text column's
/// views are copied, not its values); none when there are none.
fn joined(batches: &[RecordBatch]) -> Result<Option<RecordBatch>, ArrowError> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    concat_batches(&first.schema(), batches).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, Int64Array};
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::record_batch::RecordBatchOptions;
    use std::sync::Arc;

    fn numbers(from: i64, rows: usize) -> RecordBatch {
        let values = Int64Array::from_iter_values(from..from + rows as i64);
        RecordBatch::try_from_iter([("n", Arc::new(values) as _)]).unwrap()
    }

    fn values(batch: &RecordBatch) -> Vec<i64> {
        let column = batch.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        column.values().to_vec()
    }

    fn chunk(bytes: usize) -> Chunk {
        Chunk::new("t".into(), 1, vec![b'\n'; bytes].into())
    }

    #[test]
    fn a_parcel_goes_once_it_holds_a_megabyte_in_the_order_it_was_filled() {
        let mut parcel = Parcel::default();
        assert!(parcel.add(chunk(PARCEL_BYTES / 2)).is_none());
        assert!(parcel.add(chunk(1)).is_none());
        let sent = parcel.add(chunk(PARCEL_BYTES / 2)).unwrap();
        assert_eq!(sent.iter().map(|c| c.data.len()).collect::<Vec<_>>(), [PARCEL_BYTES / 2, 1, PARCEL_BYTES / 2]);
        assert_eq!(parcel.add(chunk(CHUNK_BYTES)).map(|p| p.len()), Some(1), "a large chunk goes alone");
        assert!(parcel.add(chunk(7)).is_none());
        assert_eq!(parcel.rest().map(|p| p[0].data.len()), Some(7));
        assert!(Parcel::default().rest().is_none());
    }

    #[test]
    fn small_chunks_batches_are_sent_together_and_large_ones_as_they_are() {
        let small = SmallBatches::default();
        let one_row_of_a_large_chunk =
            small.add(numbers(-1, 1), &[chunk(10), chunk(SMALL_CHUNK_BYTES)]).unwrap().unwrap();
        assert_eq!(values(&one_row_of_a_large_chunk), [-1]);
        assert!(small.add(numbers(-2, 0), &[chunk(10)]).unwrap().is_none(), "an empty batch is dropped");
        let mut sent = vec![];
        for first in (0..10_000).step_by(100) {
            sent.extend(small.add(numbers(first, 100), &[chunk(10_000)]).unwrap());
        }
        // 82 batches of 100 rows make the first one of 8,200 rows.
        assert_eq!(sent.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), [8_200]);
        assert_eq!(values(&sent[0]), (0..8_200).collect::<Vec<_>>());
        assert_eq!(values(&small.rest().unwrap().unwrap()), (8_200..10_000).collect::<Vec<_>>());
        assert!(SmallBatches::default().rest().unwrap().is_none());
    }

    #[test]
    fn held_batches_go_once_their_chunks_make_a_chunk() {
        let small = SmallBatches::default();
        let under_a_quarter = || chunk(SMALL_CHUNK_BYTES - 1);
        let parcels = [vec![under_a_quarter(), under_a_quarter()], vec![under_a_quarter()], vec![under_a_quarter()]];
        let sent: Vec<_> = (0..3).filter_map(|i| small.add(numbers(i, 1), &parcels[i as usize]).unwrap()).collect();
        assert!(sent.is_empty(), "four chunks of just under a quarter are less than one chunk");
        let sent = small.add(numbers(3, 1), &[under_a_quarter()]).unwrap().unwrap();
        assert_eq!(values(&sent), [0, 1, 2, 3], "five are more");
        // A batch of no columns (what `count(*)` reads) keeps its rows.
        let empty = Arc::new(Schema::empty());
        let rows = |n| {
            RecordBatch::try_new_with_options(empty.clone(), vec![], &RecordBatchOptions::new().with_row_count(Some(n)))
        };
        let small = SmallBatches::default();
        assert!(small.add(rows(3).unwrap(), &[chunk(10)]).unwrap().is_none());
        assert!(small.add(rows(4).unwrap(), &[chunk(10)]).unwrap().is_none());
        assert_eq!(small.rest().unwrap().unwrap().num_rows(), 7);
    }
}
