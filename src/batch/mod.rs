//! From chunks to Arrow: [`builder`] turns one chunk into one `RecordBatch`,
//! [`scan`] runs that over many chunks in parallel with bounded memory.

pub mod builder;
pub mod scan;
mod text;

pub use builder::{BatchBuilder, ChunkOutput, Rejected};
pub use scan::{FetchPolicy, RejectSample, ScanError, ScanReport, ScanTotals, spawn_scan};
