//! Where results leave the process: the Parquet lake and the Slack webhook.

pub mod lake;
pub mod slack;
