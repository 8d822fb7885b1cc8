//! What a long run shows on a terminal while it works: keys listed while
//! bucket URLs are listed, bytes and lines while a scan reads, sources while
//! `ingest` fills a lake. Drawn on stderr every 200 ms by a thread of its
//! own, only when stderr is a terminal and `--quiet` is not given, and
//! erased when the work ends.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::batch::ScanReport;
use crate::counts::{counted, grouped};

/// A display on stderr, erased when dropped.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Keys listed so far (`StoreOptions::listed_keys`), while the inputs'
    /// bucket URLs are listed.
    pub fn listing(listed_keys: &Arc<AtomicU64>, quiet: bool) -> Option<Progress> {
        let listed = listed_keys.clone();
        Progress::show(
            quiet,
            || (None, "{spinner} listing · {msg}"),
            move |bar| {
                bar.set_message(counted(listed.load(Ordering::Relaxed), "key"));
            },
        )
    }

    /// Bytes read of the inputs' `total_bytes` (a stat of every input file,
    /// asked only for a display), objects, lines and rejects, rate and ETA.
    pub fn scan(report: &Arc<ScanReport>, total_bytes: impl FnOnce() -> u64, quiet: bool) -> Option<Progress> {
        let report = report.clone();
        let template = "{spinner} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} · {msg}";
        Progress::show(
            quiet,
            || (Some(total_bytes()), template),
            move |bar| {
                let t = report.totals();
                bar.set_message(format!(
                    "{}, {}, {} rejected",
                    counted(t.inputs, "object"),
                    counted(t.lines, "line"),
                    grouped(t.rejected)
                ));
                bar.set_position(t.bytes);
            },
        )
    }

    /// Sources read or found `unchanged` of `sources`, with the rows and
    /// rejects read so far.
    pub fn ingest(report: &Arc<ScanReport>, unchanged: &Arc<AtomicU64>, sources: u64, quiet: bool) -> Option<Progress> {
        let (report, unchanged) = (report.clone(), unchanged.clone());
        let template = "{spinner} {human_pos}/{human_len} sources ETA {eta} · {msg}";
        Progress::show(
            quiet,
            || (Some(sources), template),
            move |bar| {
                let t = report.totals();
                bar.set_message(format!("{}, {} rejected", counted(t.rows, "row"), grouped(t.rejected)));
                bar.set_position(unchanged.load(Ordering::Relaxed) + t.inputs);
            },
        )
    }

    /// Draws a bar (of the length `setup` gives, or a spinner) in its
    /// template, refreshed by `refresh`, until dropped.
    fn show(
        quiet: bool,
        setup: impl FnOnce() -> (Option<u64>, &'static str),
        refresh: impl Fn(&ProgressBar) + Send + 'static,
    ) -> Option<Progress> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let (length, template) = setup();
        let bar = length.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
        bar.set_style(ProgressStyle::with_template(template).ok()?);
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                refresh(&bar);
                bar.tick();
                std::thread::sleep(Duration::from_millis(200));
            }
            bar.finish_and_clear();
        });
        Some(Progress { done, thread: Some(thread) })
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
