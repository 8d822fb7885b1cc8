//! Where results leave the process: the Parquet lake, the Slack webhook,
//! and output files that appear whole or not at all.

pub mod file;
pub mod lake;
pub mod slack;
