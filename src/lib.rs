//! s3logq turns Amazon S3 server access logs into answers.
//!
//! The library follows the data: [`source`] opens inputs, [`chunk`] cuts them
//! into line-aligned chunks, [`parse`] tokenises records from bytes, [`batch`]
//! builds Arrow record batches in parallel, [`table`] serves them to
//! DataFusion as the table `logs`, and [`report`] renders query results. No
//! stage reaches back upstream.

pub mod batch;
pub mod chunk;
pub mod command;
pub mod counts;
pub mod parse;
pub mod progress;
pub mod redact;
pub mod report;
pub mod schema;
pub mod sink;
pub mod source;
pub mod table;
pub mod window;
