//! Reports: the named security and usage checks of `queries/` ([`catalog()`]),
//! run over one parse of the input ([`run`]), rendered for terminals,
//! Markdown, JSON, CSV and HTML ([`render`], the page with a [`timeline`]);
//! plus plain query output ([`output`]).

pub mod catalog;
pub mod output;
pub mod render;
pub mod run;
pub mod slack;
pub mod timeline;

pub use catalog::{Report, Severity, catalog, select};
pub use output::{OutputFormat, RenderError, redact_batch, write_batches};
pub use run::{ReportResult, RunError, run_reports};
pub use timeline::Timeline;
