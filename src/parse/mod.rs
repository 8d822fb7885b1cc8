//! The record parser: one S3 server access log line (`&[u8]`, no newline) to a
//! [`LogRecord`] of borrowed field slices. Nothing is allocated per field.
//!
//! Fields are mapped by position (18 to 27 known fields, unknown trailing ones
//! kept as written). The hard part is that Request-URI, Referer and
//! User-Agent are quoted without escaping and are chosen by whoever sends the
//! request, so a quoted field's end is decided by the shape of what must
//! follow it, never by the first `" ` (see the `quoted` module).

pub mod derive;
mod find;
mod quoted;
pub mod time;

use std::fmt;

use nom::{IResult, Parser, bytes::complete::take, character::complete::char, sequence::delimited};

use crate::schema::Column;
pub use derive::Derived;
use find::Spaces;
use quoted::{TailFields, agent_and_tail, request_uri};
pub use time::DayCache;
use time::{Micros, parse_log_time};

/// Number of fields S3 writes today (Source region was the 27th, in 2026).
pub const KNOWN_FIELDS: usize = 27;
/// The oldest records stop after Version Id.
pub const MIN_FIELDS: usize = 18;

/// Why a line is not a record: the field where parsing stopped and what was
/// expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("field `{}`: {reason}", column.name())]
pub struct ParseError {
    pub column: Column,
    pub reason: &'static str,
}

impl ParseError {
    const fn new(column: Column, reason: &'static str) -> Self {
        ParseError { column, reason }
    }
}

/// One parsed record. Text fields borrow from the line; `None` is `-`, `"-"`
/// or a field the record is too old to have. The default is all null.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LogRecord<'a> {
    text: [Option<&'a [u8]>; KNOWN_FIELDS],
    pub time: Micros,
    /// Fields after the 27th, as written (space-separated).
    pub extra_fields: Option<&'a [u8]>,
    /// How many of the known fields the line carried (18..=27).
    pub field_count: usize,
}

impl fmt::Debug for LogRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("LogRecord");
        for c in &Column::ALL[..KNOWN_FIELDS] {
            s.field(c.name(), &self.text(*c).map(String::from_utf8_lossy));
        }
        s.field("time_us", &self.time).finish()
    }
}

impl<'a> LogRecord<'a> {
    /// The raw bytes of one of the 27 fields, `None` when null. Typed
    /// fields (time, status, sizes) are returned as written.
    pub fn text(&self, column: Column) -> Option<&'a [u8]> {
        self.text.get(column as usize).copied().flatten()
    }

    /// The status block's numbers are checked while parsing and read only
    /// when asked for: most queries use few of them.
    pub fn http_status(&self) -> Option<i32> {
        self.number(Column::HttpStatus).and_then(|n| i32::try_from(n).ok())
    }

    pub fn bytes_sent(&self) -> Option<i64> {
        self.number(Column::BytesSent)
    }

    pub fn object_size(&self) -> Option<i64> {
        self.number(Column::ObjectSize)
    }

    pub fn total_time_ms(&self) -> Option<i64> {
        self.number(Column::TotalTimeMs)
    }

    pub fn turn_around_time_ms(&self) -> Option<i64> {
        self.number(Column::TurnAroundTimeMs)
    }

    fn number(&self, column: Column) -> Option<i64> {
        self.text(column).and_then(whole_number)
    }

    fn set(&mut self, column: Column, value: &'a [u8]) {
        self.text[column as usize] = null_if_dash(value);
    }
}

/// `-` and `"-"` mean null everywhere.
fn null_if_dash(v: &[u8]) -> Option<&[u8]> {
    (v != b"-").then_some(v)
}

type Res<'a, T> = Result<(&'a [u8], T), ParseError>;

/// A non-empty run of bytes up to the next space.
fn token<'a>(i: &'a [u8], spaces: &mut Spaces<'_>) -> IResult<&'a [u8], &'a [u8]> {
    let end = spaces.word_len(i);
    if end == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::TakeTill1)));
    }
    Ok((&i[end..], &i[..end]))
}

/// The single space that separates fields, before `column`.
fn separator(i: &[u8], column: Column) -> Result<&[u8], ParseError> {
    i.strip_prefix(b" ").ok_or(ParseError::new(column, "missing (the line ends or the separator is not one space)"))
}

fn field_token<'a>(i: &'a [u8], column: Column, spaces: &mut Spaces<'_>) -> Res<'a, &'a [u8]> {
    let i = separator(i, column)?;
    token(i, spaces).map_err(|_| ParseError::new(column, "empty (two spaces in a row)"))
}

/// The most digits a whole number may have: 18 always fit an `i64`.
const MAX_DIGITS: usize = 18;

/// 1 to [`MAX_DIGITS`] decimal digits.
fn whole_number(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > MAX_DIGITS {
        return None;
    }
    v.iter().try_fold(0i64, |acc, d| {
        let digit = d.wrapping_sub(b'0');
        (digit < 10).then(|| acc * 10 + i64::from(digit))
    })
}

/// `-` or a whole number that fits an `i64` (its digits were checked with
/// the status block's shape).
fn check_count(v: &[u8], column: Column) -> Result<(), ParseError> {
    if v == b"-" || (1..=MAX_DIGITS).contains(&v.len()) {
        return Ok(());
    }
    Err(ParseError::new(column, "expected a whole number or `-`"))
}

/// `[dd/Mon/yyyy:HH:MM:SS ±hhmm]`.
fn bracketed_time<'a>(i: &'a [u8], days: &mut DayCache) -> Res<'a, Micros> {
    let i = separator(i, Column::Time)?;
    let (rest, inner) =
        delimited(char('['), take(26usize), char(']')).parse(i).map_err(|_: nom::Err<nom::error::Error<&[u8]>>| {
            ParseError::new(Column::Time, "expected `[dd/Mon/yyyy:HH:MM:SS +hhmm]`")
        })?;
    let t = parse_log_time(inner, days)
        .ok_or(ParseError::new(Column::Time, "not a valid `dd/Mon/yyyy:HH:MM:SS +hhmm` time"))?;
    Ok((rest, t))
}

/// A byte that may stand before an Operation's first dot.
const OPERATION_HEAD: u8 = 1;
/// A byte that may stand after it.
const OPERATION_REST: u8 = 2;

/// What each byte may be in an Operation: one lookup per byte instead of
/// a chain of range tests.
const OPERATION_BYTES: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            classes[b] |= OPERATION_HEAD;
        }
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
            classes[b] |= OPERATION_REST;
        }
        b += 1;
    }
    classes
};

/// Whether every byte of `v` is of `class`, without a branch per byte.
fn all_of_class(v: &[u8], class: u8) -> bool {
    v.iter().fold(class, |kept, b| kept & OPERATION_BYTES[usize::from(*b)]) != 0
}

/// True for an Operation value: `REST.GET.OBJECT`, `SOAP.CreateBucket`,
/// `S3.EXPIRE.OBJECT`, `BATCH.DELETE.OBJECT`, `WEBSITE.GET.OBJECT`, ...
fn is_operation(v: &[u8]) -> bool {
    let Some(dot) = find::byte(b'.', v) else {
        return false;
    };
    dot > 0
        && dot + 1 < v.len()
        && all_of_class(&v[..dot], OPERATION_HEAD)
        && all_of_class(&v[dot + 1..], OPERATION_REST)
}

/// At most this many extra space-separated words in a Requester or a Key.
const MAX_EXTRA_WORDS: usize = 8;

/// The end of the next word of `i` starting at `from` (which is a space).
fn next_word_end(i: &[u8], from: usize, spaces: &mut Spaces<'_>) -> Option<usize> {
    let start = from + 1;
    let len = spaces.word_len(i.get(start..)?);
    (len > 0).then_some(start + len)
}

/// The Request ID and Operation words that follow a Requester.
type IdAndOperation<'a> = [&'a [u8]; 2];

/// Requester, which may contain spaces (CloudFront Origin Access Identity):
/// it ends where a request id and an operation-shaped word follow. Those two
/// words come with it when they decided its end.
fn requester<'a>(i: &'a [u8], spaces: &mut Spaces<'_>) -> Res<'a, (&'a [u8], Option<IdAndOperation<'a>>)> {
    let i = separator(i, Column::Requester)?;
    let (_, first) = token(i, spaces).map_err(|_| ParseError::new(Column::Requester, "empty"))?;
    let mut end = first.len();
    for _ in 0..=MAX_EXTRA_WORDS {
        let Some(id_end) = next_word_end(i, end, spaces) else { break };
        if let Some(op_end) = next_word_end(i, id_end, spaces)
            && is_operation(&i[id_end + 1..op_end])
        {
            let following = [&i[end + 1..id_end], &i[id_end + 1..op_end]];
            return Ok((&i[op_end..], (&i[..end], Some(following))));
        }
        end = id_end;
    }
    // No operation found: keep one word and let the following fields decide.
    Ok((&i[first.len()..], (first, None)))
}

/// True where a Request-URI starts: `"` or a lone `-`.
fn starts_request_uri(i: &[u8]) -> bool {
    i.first() == Some(&b'"') || i == b"-" || i.starts_with(b"- ")
}

/// Key: usually one word; a key logged with raw spaces runs until the
/// Request-URI starts.
fn key<'a>(i: &'a [u8], spaces: &mut Spaces<'_>) -> Res<'a, &'a [u8]> {
    let i = separator(i, Column::Key)?;
    let (_, first) = token(i, spaces).map_err(|_| ParseError::new(Column::Key, "empty"))?;
    let mut end = first.len();
    for _ in 0..=MAX_EXTRA_WORDS {
        if i.get(end + 1..).is_some_and(starts_request_uri) {
            return Ok((&i[end..], &i[..end]));
        }
        match next_word_end(i, end, spaces) {
            Some(e) => end = e,
            None => break,
        }
    }
    Ok((&i[first.len()..], first))
}

/// Parses one line (without its newline; trailing `\r` and spaces are
/// ignored).
pub fn parse_line(line: &[u8]) -> Result<LogRecord<'_>, ParseError> {
    let mut record = LogRecord::default();
    parse_line_into(line, &mut record, &mut DayCache::default())?;
    Ok(record)
}

/// [`parse_line`] into a record the caller holds, so that the record (a few
/// hundred bytes) is written in place rather than copied out on return.
/// On success every field of `r` is overwritten (the Time field's text is
/// never set); on error `r` holds what was read before it. `days` carries
/// the last date read from one line to the next.
pub fn parse_line_into<'a>(line: &'a [u8], r: &mut LogRecord<'a>, days: &mut DayCache) -> Result<(), ParseError> {
    let line = line.trim_ascii_end();
    let spaces = &mut Spaces::new(line);
    let (i, v) = token(line, spaces).map_err(|_| ParseError::new(Column::BucketOwner, "empty line"))?;
    r.set(Column::BucketOwner, v);
    let (i, v) = field_token(i, Column::Bucket, spaces)?;
    r.set(Column::Bucket, v);
    let (i, t) = bracketed_time(i, days)?;
    r.time = t;
    let (i, v) = field_token(i, Column::RemoteIp, spaces)?;
    r.set(Column::RemoteIp, v);
    let (i, (v, following)) = requester(i, spaces)?;
    r.set(Column::Requester, v);
    let i = match following {
        Some([id, operation]) => {
            r.set(Column::RequestId, id);
            r.set(Column::Operation, operation);
            i
        }
        None => {
            let (i, v) = field_token(i, Column::RequestId, spaces)?;
            r.set(Column::RequestId, v);
            let (i, v) = field_token(i, Column::Operation, spaces)?;
            r.set(Column::Operation, v);
            i
        }
    };
    let (i, v) = key(i, spaces)?;
    r.set(Column::Key, v);
    let i = separator(i, Column::RequestUri)?;
    let (i, (uri, status)) = request_uri(i)?;
    r.text[Column::RequestUri as usize] = uri;
    read_status_block(r, status)?;
    let i = separator(i, Column::Referer)?;
    let found = agent_and_tail(i, tail_fields(&mut r.text))?;
    r.text[Column::Referer as usize] = found.referer;
    r.text[Column::UserAgent as usize] = found.agent;
    r.field_count = Column::VersionId as usize + found.end.count;
    r.extra_fields = found.end.extra;
    Ok(())
}

/// Status, Error Code, Bytes Sent, Object Size, Total Time, Turn-Around Time.
fn read_status_block<'a>(r: &mut LogRecord<'a>, words: [&'a [u8]; 6]) -> Result<(), ParseError> {
    check_count(words[2], Column::BytesSent)?;
    check_count(words[3], Column::ObjectSize)?;
    check_count(words[4], Column::TotalTimeMs)?;
    check_count(words[5], Column::TurnAroundTimeMs)?;
    for (offset, word) in words.iter().enumerate() {
        r.text[Column::HttpStatus as usize + offset] = null_if_dash(word);
    }
    Ok(())
}

const _: () = assert!(Column::VersionId as usize + 10 == KNOWN_FIELDS);

/// The slots of Version Id .. Source region, the last ten of a record's
/// fields (the assertion above and the pattern's type check that).
fn tail_fields<'r, 'a>(text: &'r mut [Option<&'a [u8]>; KNOWN_FIELDS]) -> &'r mut TailFields<'a> {
    let [_, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _, tail @ ..] = text;
    tail
}

#[cfg(test)]
mod tests;
