//! The rejected-lines file (`--rejects FILE`). Chunks are parsed in
//! parallel and finish in any order, so the lines are held until the scan
//! ends and written by input name and line number: two runs over the same
//! inputs write the same file. Past [`HELD_BYTES`] of them (an input that is
//! not an access log at all), what is held is written in that order and
//! the rest as it comes, so that memory stays bounded.

use std::io::{self, Write};
use std::sync::Arc;

use super::builder::Rejected;

/// Bytes of rejected lines held for sorting before they are written as they
/// come.
pub const HELD_BYTES: usize = 64 << 20;

/// Where rejected lines go, one per line: `file:line<TAB>reason<TAB>raw line`.
pub struct RejectsFile {
    sink: Box<dyn Write + Send>,
    /// Lines not written yet, with the input and line number they sort by.
    held: Vec<(Arc<str>, u64, Vec<u8>)>,
    held_bytes: usize,
    /// The most bytes held before the rest are written as they come.
    limit: usize,
    /// Set once `limit` was passed: lines are written as they come.
    streaming: bool,
}

impl RejectsFile {
    pub fn new(sink: Box<dyn Write + Send>) -> Self {
        RejectsFile::holding_at_most(sink, HELD_BYTES)
    }

    fn holding_at_most(sink: Box<dyn Write + Send>, limit: usize) -> Self {
        RejectsFile { sink, held: Vec::new(), held_bytes: 0, limit, streaming: false }
    }

    /// Takes the rejected lines of one chunk of `source`.
    pub fn add(&mut self, source: &Arc<str>, rejected: &[Rejected]) -> io::Result<()> {
        for r in rejected {
            let mut line = format!("{source}:{}\t{}\t", r.line, r.error).into_bytes();
            line.extend_from_slice(&r.raw);
            line.push(b'\n');
            match self.streaming {
                true => self.sink.write_all(&line)?,
                false => {
                    self.held_bytes += line.len();
                    self.held.push((source.clone(), r.line, line));
                }
            }
        }
        if !self.streaming && self.held_bytes > self.limit {
            self.write_held()?;
            self.streaming = true;
        }
        Ok(())
    }

    /// Writes what is held, by input name and line number, and flushes.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_held()?;
        self.sink.flush()
    }

    fn write_held(&mut self) -> io::Result<()> {
        self.held.sort_unstable_by(|(a, a_line, _), (b, b_line, _)| a.cmp(b).then(a_line.cmp(b_line)));
        for (_, _, line) in self.held.drain(..) {
            self.sink.write_all(&line)?;
        }
        self.held_bytes = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::parse::ParseError;
    use crate::schema::Column;

    /// A sink whose bytes the test can read while the file still holds it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn rejected(line: u64) -> Rejected {
        let error = ParseError { column: Column::Time, reason: "expected a time" };
        Rejected { line, error, raw: format!("bad {line}").into_bytes() }
    }

    fn line_numbers(text: &str) -> Vec<&str> {
        text.lines().map(|l| l.split('\t').next().unwrap()).collect()
    }

    #[test]
    fn lines_met_in_any_order_are_written_by_input_and_line() {
        let sink = Shared::default();
        let mut file = RejectsFile::new(Box::new(sink.clone()));
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("logs/a"), Arc::from("logs/b"));
        file.add(&b, &[rejected(3)]).unwrap();
        file.add(&a, &[rejected(900), rejected(1000)]).unwrap();
        file.add(&a, &[rejected(7)]).unwrap();
        assert_eq!(sink.text(), "", "held until the scan ends");
        file.flush().unwrap();
        assert_eq!(line_numbers(&sink.text()), ["logs/a:7", "logs/a:900", "logs/a:1000", "logs/b:3"]);
        let first = sink.text().lines().next().unwrap().to_string();
        assert_eq!(first, format!("logs/a:7\t{}\tbad 7", rejected(7).error));
    }

    #[test]
    fn past_the_limit_what_is_held_is_written_and_the_rest_as_it_comes() {
        let sink = Shared::default();
        let line_bytes = format!("a:10\t{}\tbad 10\n", rejected(10).error).len();
        let mut file = RejectsFile::holding_at_most(Box::new(sink.clone()), 2 * line_bytes);
        let a: Arc<str> = Arc::from("a");
        file.add(&a, &[rejected(30), rejected(10)]).unwrap();
        assert_eq!(sink.text(), "", "at the limit, still held");
        file.add(&a, &[rejected(20)]).unwrap();
        assert_eq!(line_numbers(&sink.text()), ["a:10", "a:20", "a:30"]);
        file.add(&a, &[rejected(50), rejected(40)]).unwrap();
        file.flush().unwrap();
        assert_eq!(line_numbers(&sink.text()), ["a:10", "a:20", "a:30", "a:50", "a:40"]);
    }
}
