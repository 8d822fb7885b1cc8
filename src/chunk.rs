//! Cuts log text into line-aligned chunks of a few MiB, so that one huge
//! file and thousands of small ones both become units of parallel work. Each
//! chunk knows its file and where its first line number comes from, and owns
//! its bytes in an Arrow buffer that string columns can point into.
//!
//! A plain file is mapped into memory a chunk at a time, and text in memory
//! (a fetched object, a file of one chunk that the source read whole) is
//! sliced where it lies ([`WindowChunker`]): nothing is copied, and a mapped
//! chunk's pages are unmapped when the last array pointing into them is
//! dropped. Only the end of each window is read here (to cut it after a
//! newline); the parser finds the lines, so no thread reads every byte
//! before the parsers do, and each chunk learns its first line number from
//! the counts of the chunks before it ([`LineCounts`]).
//! Streams (stdin, decompressed text) are read ([`LineChunker`]), and
//! numbered the same way, into buffers that come back to a [`BufferPool`]
//! when the last array pointing into them is dropped, so a scan reuses a few
//! buffers instead of faulting in (and having the kernel zero) fresh pages
//! for every chunk.

use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};

use datafusion::arrow::buffer::Buffer;
use memchr::memrchr;
use memmap2::MmapOptions;

use crate::source::cut_shorter;

/// Default target size of a chunk.
pub const CHUNK_BYTES: usize = 4 << 20;

/// A run of whole lines from one input.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub source: Arc<str>,
    /// Where the number of the chunk's first line in its input (1-based)
    /// comes from.
    pub first_line: FirstLine,
    pub data: Buffer,
    /// Set on the last chunk of a stream whose reading broke off after its
    /// lines (a compressed file cut short, a body that stopped arriving).
    pub broke_off: Option<Arc<BreakOff>>,
}

impl Chunk {
    /// A chunk whose first line number is known.
    pub fn new(source: Arc<str>, first_line: u64, data: Buffer) -> Self {
        Chunk { source, first_line: FirstLine::Known(first_line), data, broke_off: None }
    }
}

/// Why and where reading a stream broke off.
#[derive(Debug)]
pub struct BreakOff {
    pub error: io::Error,
    /// The bytes of a torn line read after the last whole line, left out.
    pub torn_bytes: usize,
}

impl BreakOff {
    /// What happened, given the number of the last whole line read.
    pub fn describe(&self, last_line: u64) -> String {
        let torn = match self.torn_bytes {
            0 => String::new(),
            bytes => format!(" ({bytes} bytes of line {} left out)", last_line + 1),
        };
        format!("reading broke off after line {last_line}{torn}: {}", self.error)
    }
}

/// Where a chunk's first line number comes from.
#[derive(Debug, Clone)]
pub enum FirstLine {
    /// Known when the chunk was made (a single text whose first line is
    /// given).
    Known(u64),
    /// The `index`th chunk of an input whose chunks count their own lines
    /// while they are parsed, so that no thread reads every byte before the
    /// parsers do.
    Counted { counts: Arc<LineCounts>, index: usize },
}

impl FirstLine {
    /// The chunk's first line number, given that it holds `lines` lines. A
    /// counted chunk waits until every chunk before it has been counted:
    /// those were handed out before it, so each is being parsed or done.
    pub fn resolve(&self, lines: u64) -> u64 {
        match self {
            FirstLine::Known(first) => *first,
            FirstLine::Counted { counts, index } => counts.first_line(*index, lines),
        }
    }
}

/// The line counts of one input's chunks, as each is parsed.
#[derive(Debug, Default)]
pub struct LineCounts {
    state: Mutex<Counted>,
    counted: Condvar,
}

#[derive(Debug, Default)]
struct Counted {
    /// Each chunk's line count, once known.
    lines: Vec<Option<u64>>,
    /// The first line numbers of the chunks counted so far without a gap.
    starts: Vec<u64>,
    /// The lines of those chunks.
    lines_before: u64,
}

impl LineCounts {
    /// Records that chunk `index` holds `lines` lines and returns its first
    /// line number once every chunk before it is counted.
    fn first_line(&self, index: usize, lines: u64) -> u64 {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.lines.len() <= index {
            state.lines.resize(index + 1, None);
        }
        state.lines[index] = Some(lines);
        while let Some(&Some(count)) = state.lines.get(state.starts.len()) {
            let first = state.lines_before + 1;
            state.starts.push(first);
            state.lines_before += count;
        }
        self.counted.notify_all();
        loop {
            if let Some(first) = state.starts.get(index) {
                return *first;
            }
            state = self.counted.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The [`FirstLine`] of each chunk cut from one input, handed out in the
/// order the chunks are cut (and so parsed).
#[derive(Default)]
struct ChunkNumbers {
    counts: Arc<LineCounts>,
    next_index: usize,
}

impl ChunkNumbers {
    fn next(&mut self) -> FirstLine {
        let first_line = FirstLine::Counted { counts: self.counts.clone(), index: self.next_index };
        self.next_index += 1;
        first_line
    }
}

/// Free chunk buffers, shared by the chunkers of one scan.
#[derive(Clone)]
pub struct BufferPool {
    free: Arc<FreeBuffers>,
}

struct FreeBuffers {
    buffers: Mutex<Vec<Vec<u8>>>,
    /// At most this many free buffers are kept; more are freed.
    keep: usize,
}

impl FreeBuffers {
    /// Keeps `bytes` for a later chunk, unless enough are kept already.
    fn give_back(&self, mut bytes: Vec<u8>) {
        if let Ok(mut buffers) = self.buffers.lock()
            && buffers.len() < self.keep
        {
            bytes.clear();
            buffers.push(bytes);
        }
    }
}

impl BufferPool {
    pub fn new(keep: usize) -> Self {
        BufferPool { free: Arc::new(FreeBuffers { buffers: Mutex::default(), keep }) }
    }

    /// An empty buffer, with the capacity of a returned one when there is
    /// one.
    fn take(&self) -> Vec<u8> {
        self.free.buffers.lock().ok().and_then(|mut buffers| buffers.pop()).unwrap_or_default()
    }

    /// `bytes` as an Arrow buffer that returns to this pool when dropped.
    fn share(&self, bytes: Vec<u8>) -> Buffer {
        Buffer::from(bytes::Bytes::from_owner(Pooled { bytes, pool: Arc::downgrade(&self.free) }))
    }

    /// How many free buffers the pool holds.
    #[cfg(test)]
    fn free_buffers(&self) -> usize {
        self.free.buffers.lock().map_or(0, |buffers| buffers.len())
    }
}

/// A chunk's bytes, owned by the Arrow buffers that point into them.
struct Pooled {
    bytes: Vec<u8>,
    pool: Weak<FreeBuffers>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.upgrade() {
            pool.give_back(std::mem::take(&mut self.bytes));
        }
    }
}

/// Iterator of line-aligned chunks over a reader.
pub struct LineChunker<R> {
    reader: R,
    source: Arc<str>,
    pool: BufferPool,
    /// The start of a line that the previous chunk could not end with.
    carry: Vec<u8>,
    numbers: ChunkNumbers,
    target: usize,
    done: bool,
}

impl<R: Read> LineChunker<R> {
    pub fn new(reader: R, source: Arc<str>, target: usize, pool: BufferPool) -> Self {
        let numbers = ChunkNumbers::default();
        LineChunker { reader, source, pool, carry: Vec::new(), numbers, target: target.max(1), done: false }
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
        let mut buf = self.pool.take();
        buf.reserve(self.target + self.target / 8);
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let ended = match self.fill(&mut buf) {
            Ok(ended) => ended,
            Err(error) => return Ok(Some(self.broken_off(buf, error))),
        };
        if !ended && let Some(nl) = memrchr(b'\n', &buf) {
            self.carry.extend_from_slice(&buf[nl + 1..]);
            buf.truncate(nl + 1);
        }
        self.done = ended;
        if buf.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.chunk(buf, None)))
    }

    /// The whole lines of `buf`, read before `error` broke the stream off,
    /// as its last chunk, which tells how; the torn line after them is left
    /// out.
    fn broken_off(&mut self, mut buf: Vec<u8>, error: io::Error) -> Chunk {
        self.done = true;
        let whole = memrchr(b'\n', &buf).map_or(0, |newline| newline + 1);
        let torn_bytes = buf.len() - whole;
        buf.truncate(whole);
        self.chunk(buf, Some(Arc::new(BreakOff { error, torn_bytes })))
    }

    fn chunk(&mut self, buf: Vec<u8>, broke_off: Option<Arc<BreakOff>>) -> Chunk {
        Chunk { source: self.source.clone(), first_line: self.numbers.next(), data: self.keep(buf), broke_off }
    }

    /// The chunk's bytes as a buffer. A short chunk (a small file's, or
    /// the last of a stream) is copied out and its pool buffer given back at
    /// once: the scan may hold many small chunks together, and each would
    /// otherwise keep a whole chunk's memory.
    fn keep(&self, buf: Vec<u8>) -> Buffer {
        if buf.len() >= self.target / 4 {
            return self.pool.share(buf);
        }
        let short = Buffer::from(buf.as_slice());
        self.pool.free.give_back(buf);
        short
    }
}

impl<R: Read> Iterator for LineChunker<R> {
    type Item = io::Result<Chunk>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

/// Iterator of line-aligned chunks over an input whose bytes can be had at
/// any offset without copying them: a plain file mapped a chunk at a time
/// ([`WindowChunker::mapped`]) or fetched bytes already in memory
/// ([`WindowChunker::in_memory`]).
pub struct WindowChunker<W> {
    windows: W,
    source: Arc<str>,
    len: u64,
    next_offset: u64,
    numbers: ChunkNumbers,
    target: usize,
}

/// Where a [`WindowChunker`] gets its bytes.
pub trait Windows {
    /// The `len` bytes at `offset`, as a buffer that arrays can point into.
    fn window(&self, offset: u64, len: usize) -> io::Result<Buffer>;
}

impl Windows for Buffer {
    fn window(&self, offset: u64, len: usize) -> io::Result<Buffer> {
        let offset = usize::try_from(offset).map_err(io::Error::other)?;
        Ok(self.slice_with_length(offset, len))
    }
}

/// A plain file, each window of it a read-only map of its own, unmapped
/// when the last array pointing into it is dropped.
pub struct MappedFile(File);

/// Where maps of a file start and end (but at the file's end): Linux keeps
/// a file read from disk in the page cache in folios of up to 2 MiB, and a
/// map that covers a whole such folio at a like-aligned address gets it as
/// one huge page, one fault and one TLB entry instead of 512 of each. A
/// window's map reaches back and forth to these bounds; the bytes outside
/// the window are mapped, not read.
const MAP_ALIGN: u64 = 2 << 20;

impl Windows for MappedFile {
    fn window(&self, offset: u64, len: usize) -> io::Result<Buffer> {
        // Reading a mapped page past the end of a file kills the process, so
        // a file cut shorter since it was opened is an error here instead.
        let file_len = self.0.metadata()?.len();
        if file_len < offset + len as u64 {
            return Err(cut_shorter());
        }
        let start = offset - offset % MAP_ALIGN;
        let end = (offset + len as u64).next_multiple_of(MAP_ALIGN).min(file_len);
        let map_len = usize::try_from(end - start).map_err(io::Error::other)?;
        // SAFETY: the map is private and read-only, and its bytes are only
        // read through the returned buffer. They are the file's: if another
        // process rewrites that part of the file while the map lives, the
        // chunk sees the new bytes (log files are written once, then only
        // read), and if it truncates the file in the instant after the
        // check above, reading the lost pages ends the process, as it would
        // any program that maps its input.
        let map = unsafe { MmapOptions::new().offset(start).len(map_len).map(&self.0)? };
        let skipped = usize::try_from(offset - start).map_err(io::Error::other)?;
        Ok(Buffer::from(bytes::Bytes::from_owner(map)).slice_with_length(skipped, len))
    }
}

impl WindowChunker<MappedFile> {
    /// Chunks of the first `len` bytes of a plain file, each mapped rather
    /// than read: the kernel copies nothing. A file that grows meanwhile is
    /// read to the length it had when opened.
    pub fn mapped(file: File, len: u64, source: Arc<str>, target: usize) -> Self {
        Self::over(MappedFile(file), len, source, target)
    }
}

impl WindowChunker<Buffer> {
    /// Chunks of text in memory, each a slice of it.
    pub fn in_memory(text: Buffer, source: Arc<str>, target: usize) -> Self {
        let len = text.len() as u64;
        Self::over(text, len, source, target)
    }
}

impl<W: Windows> WindowChunker<W> {
    fn over(windows: W, len: u64, source: Arc<str>, target: usize) -> Self {
        let numbers = ChunkNumbers::default();
        WindowChunker { windows, source, len, next_offset: 0, numbers, target: target.max(1) }
    }

    /// The next `target` bytes, cut after their last newline; more when no
    /// newline is in them, all that is left at the end of the input.
    fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        let rest = self.len - self.next_offset;
        if rest == 0 {
            return Ok(None);
        }
        let mut want = self.target;
        let data = loop {
            let take = usize::try_from(rest).map_or(want, |rest| rest.min(want));
            let window = self.windows.window(self.next_offset, take)?;
            if take as u64 == rest {
                break window;
            }
            if let Some(newline) = memrchr(b'\n', &window) {
                break window.slice_with_length(0, newline + 1);
            }
            want = want.saturating_mul(2); // one line longer than a chunk
        };
        self.next_offset += data.len() as u64;
        Ok(Some(Chunk { source: self.source.clone(), first_line: self.numbers.next(), data, broke_off: None }))
    }
}

impl<W: Windows> Iterator for WindowChunker<W> {
    type Item = io::Result<Chunk>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many lines `data` holds: its newlines, and a last line without
    /// one.
    fn count_lines(data: &[u8]) -> u64 {
        let newlines = memchr::memchr_iter(b'\n', data).count() as u64;
        newlines + u64::from(!data.is_empty() && !data.ends_with(b"\n"))
    }

    /// Each chunk's first line number and text, the chunks counted in order
    /// as a parser counts them.
    fn texts(chunks: impl Iterator<Item = io::Result<Chunk>>) -> Vec<(u64, String)> {
        let first_line = |c: &Chunk| c.first_line.resolve(count_lines(&c.data));
        chunks
            .map(|c| c.map(|c| (first_line(&c), String::from_utf8(c.data.to_vec()).unwrap())))
            .collect::<io::Result<_>>()
            .unwrap()
    }

    fn chunks(text: &str, target: usize) -> Vec<(u64, String)> {
        texts(LineChunker::new(text.as_bytes(), "t".into(), target, BufferPool::new(2)))
    }

    fn mapped_chunks(text: &str, target: usize) -> Vec<(u64, String)> {
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let len = text.len() as u64;
        let mapped = texts(WindowChunker::mapped(file, len, "t".into(), target));
        let sliced = texts(WindowChunker::in_memory(Buffer::from(text.as_bytes()), "t".into(), target));
        assert_eq!(mapped, sliced, "a mapped file and the same text in memory are cut alike");
        mapped
    }

    /// Whether `got` is `text` cut after newlines, numbered by line.
    fn covers_in_whole_lines(got: &[(u64, String)], text: &str) -> bool {
        let mut line = 1;
        for (i, (first, chunk)) in got.iter().enumerate() {
            let last = i + 1 == got.len();
            if *first != line || chunk.is_empty() || !(last || chunk.ends_with('\n')) {
                return false;
            }
            line += chunk.matches('\n').count() as u64;
        }
        got.iter().map(|(_, c)| c.as_str()).collect::<String>() == text
    }

    #[test]
    fn last_line_without_newline_is_kept() {
        assert_eq!(chunks("a\nb", 1 << 20), [(1, "a\nb".to_string())]);
        assert_eq!(chunks("", 10), []);
    }

    #[test]
    fn lines_are_the_newlines_and_an_unterminated_last_line() {
        assert_eq!(count_lines(b"ab\n\ncd\n"), 3);
        assert_eq!(count_lines(b"ab\ncd"), 2);
        assert_eq!(count_lines(b""), 0);
    }

    #[test]
    fn chunks_counted_out_of_order_get_their_first_lines() {
        let counts = Arc::new(LineCounts::default());
        let lines = [3u64, 0, 5, 2];
        // The last chunk asks first and waits for those before it.
        let asking: Vec<_> = (0..lines.len())
            .rev()
            .map(|index| {
                let first_line = FirstLine::Counted { counts: counts.clone(), index };
                std::thread::spawn(move || first_line.resolve(lines[index]))
            })
            .collect();
        let mut firsts: Vec<u64> = asking.into_iter().map(|t| t.join().unwrap()).collect();
        firsts.reverse();
        assert_eq!(firsts, [1, 4, 4, 9]);
        assert_eq!(FirstLine::Known(7).resolve(3), 7);
    }

    #[test]
    fn a_line_longer_than_the_target_stays_whole() {
        let long = "x".repeat(300);
        let text = format!("{long}\nshort\n");
        let got = chunks(&text, 16);
        assert!(got[0].1.starts_with(&format!("{long}\n")));
        assert_eq!(got.iter().map(|(_, c)| c.as_str()).collect::<String>(), text);
    }

    #[test]
    fn window_chunks_are_whole_lines_of_at_most_the_target_unless_a_line_is_longer() {
        let long = "x".repeat(300);
        let text = format!("a\nbb\nccc\n{long}\ndddd\neeeee\nlast without newline");
        for target in [1, 4, 7, 16, 512, 1 << 20] {
            let got = mapped_chunks(&text, target);
            assert!(covers_in_whole_lines(&got, &text), "target {target}: {got:?}");
            for (_, chunk) in &got {
                // Longer only when `target` bytes held no newline.
                let first_newline = chunk.find('\n').unwrap_or(chunk.len());
                assert!(chunk.len() <= target || first_newline >= target, "target {target}: {chunk:?}");
            }
        }
        assert_eq!(mapped_chunks(&text, 16).iter().filter(|(_, c)| c.contains(&long)).count(), 1);
        assert_eq!(mapped_chunks(&text, 1 << 20), [(1, text.clone())]);
        assert_eq!(mapped_chunks("", 10), []);
    }

    /// Gives `text` a few bytes at a time, then fails.
    struct CutShort<'a>(&'a [u8]);

    impl Read for CutShort<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("stream cut short"));
            }
            let n = buf.len().min(self.0.len()).min(3);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_stream_that_breaks_off_ends_with_its_whole_lines_and_says_how_it_broke() {
        for (text, whole, torn) in [("a\nbb\nccc\ndd", "a\nbb\nccc\n", 2), ("a\nbb\n", "a\nbb\n", 0), ("abc", "", 3)] {
            for target in [1, 4, 1 << 20] {
                let mut chunker = LineChunker::new(CutShort(text.as_bytes()), "t".into(), target, BufferPool::new(2));
                let got: Vec<Chunk> = chunker.by_ref().map(Result::unwrap).collect();
                let read: Vec<u8> = got.iter().flat_map(|c| c.data.to_vec()).collect();
                assert_eq!(String::from_utf8(read).unwrap(), whole, "{text:?}, target {target}");
                let (last, before) = got.split_last().unwrap();
                assert!(before.iter().all(|c| c.broke_off.is_none()), "{text:?}, target {target}");
                let break_off = last.broke_off.as_ref().expect("the last chunk tells of the break");
                assert_eq!(break_off.torn_bytes, torn, "{text:?}, target {target}");
                assert!(chunker.next().is_none());
            }
        }
        let break_off = BreakOff { error: io::Error::other("incomplete deflate stream"), torn_bytes: 12 };
        assert_eq!(
            break_off.describe(3),
            "reading broke off after line 3 (12 bytes of line 4 left out): incomplete deflate stream"
        );
        let clean = BreakOff { torn_bytes: 0, ..break_off };
        assert_eq!(clean.describe(0), "reading broke off after line 0: incomplete deflate stream");
    }

    proptest::proptest! {
        #[test]
        fn a_stream_broken_off_anywhere_gives_exactly_its_whole_lines(
            text in proptest::collection::vec(proptest::prop_oneof![4 => proptest::prelude::Just(b'a'), 1 => proptest::prelude::Just(b'\n')], 0..200),
            target in 1usize..40,
        ) {
            let chunker = LineChunker::new(CutShort(&text), "t".into(), target, BufferPool::new(2));
            let got: Vec<Chunk> = chunker.map(Result::unwrap).collect();
            let whole = memrchr(b'\n', &text).map_or(0, |newline| newline + 1);
            let read: Vec<u8> = got.iter().flat_map(|c| c.data.to_vec()).collect();
            proptest::prop_assert_eq!(&read[..], &text[..whole]);
            let broke_off: Vec<usize> = got.iter().filter_map(|c| c.broke_off.as_ref().map(|b| b.torn_bytes)).collect();
            proptest::prop_assert_eq!(broke_off, [text.len() - whole]);
            proptest::prop_assert!(got.last().is_some_and(|c| c.broke_off.is_some()));
        }
    }

    #[test]
    fn read_chunks_are_whole_lines() {
        let text: String = (0..2000).map(|i| format!("line {i} {}\n", "y".repeat(i % 97))).collect();
        for target in [1, 100, 64 * 1024, 1 << 20] {
            assert!(covers_in_whole_lines(&chunks(&text, target), &text), "target {target}");
        }
    }

    /// A map reaches back and forth to 2 MiB bounds; the window handed out
    /// is still exactly the bytes asked for, on either side of a bound and
    /// at the file's end.
    #[test]
    fn a_window_is_the_files_bytes_wherever_its_map_starts_and_ends() {
        let bound = MAP_ALIGN as usize;
        let text: Vec<u8> =
            (0..2 * bound + 5_000).map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut file, &text).unwrap();
        let mapped = MappedFile(file);
        let end = text.len();
        for (offset, len) in
            [(0, 10), (1, bound), (bound - 3, 7), (bound, 4096), (bound + 1, bound), (end - 9, 9), (0, end)]
        {
            let window = mapped.window(offset as u64, len).unwrap();
            assert_eq!(window.as_slice(), &text[offset..offset + len], "{len} bytes at {offset}");
        }
        assert!(mapped.window((end - 9) as u64, 10).is_err(), "past the end");
    }

    #[test]
    fn a_file_cut_shorter_while_mapped_is_an_error_not_a_crash() {
        let text = "first line\n".repeat(100);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let len = text.len() as u64;
        let mut chunker = WindowChunker::mapped(file.reopen().unwrap(), len, "t".into(), 200);
        assert!(chunker.next().unwrap().is_ok());
        file.as_file().set_len(300).unwrap();
        let error = chunker.next().unwrap().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
    }

    #[test]
    fn a_dropped_chunk_lends_its_buffer_to_a_later_one() {
        // Lines longer than one read, so that each chunk is one line.
        let lines: Vec<String> = "abcd".chars().map(|c| format!("{}\n", c.to_string().repeat(70_000))).collect();
        let text = lines.concat();
        let pool = BufferPool::new(1);
        let mut chunker = LineChunker::new(text.as_bytes(), "t".into(), 1, pool.clone());
        let mut next = || chunker.next().map(|c| c.unwrap());
        let (first, second) = (next().unwrap(), next().unwrap());
        // Parsed in order, each chunk one line.
        assert_eq!((first.first_line.resolve(1), second.first_line.resolve(1)), (1, 2));
        let first_at = first.data.as_ptr();
        assert_eq!(pool.free_buffers(), 0, "both chunks are still held");
        drop(first);
        drop(second);
        assert_eq!(pool.free_buffers(), 1, "one buffer kept, the other freed");
        let third = next().unwrap();
        assert_eq!(third.data.as_ptr(), first_at, "the kept buffer is reused");
        assert_eq!((third.first_line.resolve(1), third.data.as_slice()), (3, lines[2].as_bytes()));
        assert_eq!(next().unwrap().data.as_slice(), lines[3].as_bytes());
        assert!(next().is_none());
    }

    #[test]
    fn a_short_chunk_is_copied_out_and_its_buffer_given_back() {
        let pool = BufferPool::new(4);
        let mut chunker = LineChunker::new(&b"small\nfile"[..], "t".into(), 1 << 20, pool.clone());
        let chunk = chunker.next().unwrap().unwrap();
        assert_eq!(chunk.data.as_slice(), b"small\nfile");
        assert_eq!(pool.free_buffers(), 1, "free while the chunk is held");
        assert!(chunk.data.capacity() < 1 << 10, "the chunk holds its bytes only");
        assert!(chunker.next().is_none());
    }
}
