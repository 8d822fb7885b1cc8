//! Cuts a stream of log text into line-aligned chunks of a few MiB, so that
//! one huge file and thousands of small ones both become units of parallel
//! work. Each chunk knows its file and the number of its first line, and owns
//! its bytes in an Arrow buffer that string columns can point into.

use std::io::{self, Read};
use std::sync::Arc;

use datafusion::arrow::buffer::Buffer;
use memchr::{memchr_iter, memrchr};

/// Default target size of a chunk.
pub const CHUNK_BYTES: usize = 4 << 20;

/// A run of whole lines from one input.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub source: Arc<str>,
    /// 1-based number of the chunk's first line in its input.
    pub first_line: u64,
    pub data: Buffer,
}

/// Iterator of line-aligned chunks over a reader.
pub struct LineChunker<R> {
    reader: R,
    source: Arc<str>,
    carry: Vec<u8>,
    next_line: u64,
    target: usize,
    done: bool,
}

impl<R: Read> LineChunker<R> {
    pub fn new(reader: R, source: Arc<str>, target: usize) -> Self {
        LineChunker { reader, source, carry: Vec::new(), next_line: 1, target: target.max(1), done: false }
    }

    /// Reads until `buf` holds at least one newline past `target` bytes or
    /// the input ends; returns whether the input ended.
    fn fill(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        let mut want = self.target;
        loop {
            let room = want.saturating_sub(buf.len()).max(64 * 1024);
            if (&mut self.reader).take(room as u64).read_to_end(buf)? == 0 {
                return Ok(true);
            }
            if buf.len() >= want {
                if memrchr(b'\n', buf).is_some() {
                    return Ok(false);
                }
                want = buf.len() * 2; // one line longer than a chunk: keep reading
            }
        }
    }

    fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.reserve(self.target + self.target / 8);
        let ended = self.fill(&mut buf)?;
        if !ended && let Some(nl) = memrchr(b'\n', &buf) {
            self.carry = buf[nl + 1..].to_vec();
            buf.truncate(nl + 1);
        }
        self.done = ended;
        if buf.is_empty() {
            return Ok(None);
        }
        let newlines = memchr_iter(b'\n', &buf).count() as u64;
        let lines = newlines + u64::from(!buf.ends_with(b"\n"));
        let chunk = Chunk { source: self.source.clone(), first_line: self.next_line, data: Buffer::from_vec(buf) };
        self.next_line += lines;
        Ok(Some(chunk))
    }
}

impl<R: Read> Iterator for LineChunker<R> {
    type Item = io::Result<Chunk>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str, target: usize) -> Vec<(u64, String)> {
        LineChunker::new(text.as_bytes(), "t".into(), target)
            .map(|c| c.map(|c| (c.first_line, String::from_utf8(c.data.to_vec()).unwrap())))
            .collect::<io::Result<_>>()
            .unwrap()
    }

    #[test]
    fn chunks_end_on_newlines_and_number_lines() {
        let text = "aaaa\nbbbb\ncccc\ndddd\n";
        let got = chunks(text, 7);
        assert!(got.iter().all(|(_, c)| c.ends_with('\n')));
        assert_eq!(got.iter().map(|(_, c)| c.as_str()).collect::<String>(), text);
        let mut line = 1;
        for (first, c) in &got {
            assert_eq!(*first, line);
            line += c.matches('\n').count() as u64;
        }
    }

    #[test]
    fn last_line_without_newline_is_kept() {
        assert_eq!(chunks("a\nb", 1 << 20), [(1, "a\nb".to_string())]);
        assert_eq!(chunks("", 10), []);
    }

    #[test]
    fn a_line_longer_than_the_target_stays_whole() {
        let long = "x".repeat(300);
        let text = format!("{long}\nshort\n");
        let got = chunks(&text, 16);
        assert!(got[0].1.starts_with(&format!("{long}\n")));
        assert_eq!(got.iter().map(|(_, c)| c.as_str()).collect::<String>(), text);
    }
}
