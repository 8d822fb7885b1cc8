//! From chunks to Arrow: [`builder`] turns a parcel of chunks into one
//! `RecordBatch` (leaving out the records that fail a [`record_test`]),
//! [`scan`] runs that over many parcels in parallel with bounded memory,
//! `gather`ing small inputs' chunks and batches so that each is not handed
//! on alone.

pub mod builder;
mod gather;
pub mod record_test;
mod rejects;
pub mod scan;
mod text;

pub use builder::{BatchBuilder, LineTally, ParsedChunks, Rejected};
pub use record_test::{Comparison, RecordTest};
pub use scan::{FetchPolicy, RejectSample, ScanError, ScanReport, ScanTotals, StoredRecords, spawn_scan};
