//! Where the quoted fields end. Request-URI, Referer and User-Agent are
//! written between quotes that S3 does not escape, and their content is chosen
//! by the client, so `" ` inside them is common (and a log-injection tool).
//!
//! * The Request-URI ends at the first `"` followed by a well-formed status
//!   block (status, error code, four numbers) and the start of the Referer. A
//!   request target cannot hold a raw space, so the client cannot forge that.
//! * The User-Agent ends at the **last** `"` after which the rest of the line
//!   has the shape S3 writes there (Version Id, Host Id, signature version,
//!   cipher, auth type, host, TLS version, ...). S3 quotes nothing after the
//!   User-Agent, so a tail forged inside the User-Agent always lies to the
//!   left of the real one.
//! * Referer and User-Agent are split at the first `" "` between them; a
//!   client can only move bytes between those two fields, never into others.

use memchr::{memchr_iter, memrchr_iter};

use super::find;

use super::{ParseError, Res, null_if_dash};
use crate::schema::Column;

/// The six bare words between Request-URI and Referer.
pub type StatusBlock<'a> = [&'a [u8]; 6];

/// The fields after the User-Agent, Version Id .. Source region, as a
/// record holds them: `None` for `-` or a field the record is too old to
/// have. The tail is written straight into the record's slots rather than
/// returned (a few hundred bytes copied per candidate and per return).
pub type TailFields<'a> = [Option<&'a [u8]>; 10];

/// Where a tail ended: how many known fields it had and the unknown rest.
#[derive(Clone, Copy)]
pub struct TailEnd<'a> {
    pub count: usize,
    pub extra: Option<&'a [u8]>,
}

/// Space-separated words of a slice, refusing empty words. The separators
/// ahead come from a bitmap of the next 64 bytes, so that each word costs a
/// bit scan rather than a search.
struct Words<'a> {
    s: &'a [u8],
    pos: usize,
    separators: find::SpacesAndQuotes<'a>,
}

impl<'a> Words<'a> {
    fn new(s: &'a [u8]) -> Self {
        Words { s, pos: 0, separators: find::SpacesAndQuotes::new(s) }
    }

    fn at_end(&self) -> bool {
        self.pos > self.s.len()
    }

    /// A word S3 writes itself: never quoted.
    #[inline(always)]
    fn next_bare(&mut self) -> Option<&'a [u8]> {
        if self.at_end() {
            return None;
        }
        let start = self.pos;
        let end = self.separators.next();
        if self.s.get(end) == Some(&b'"') {
            return None;
        }
        self.separators.take();
        self.pos = end + 1;
        (end > start).then(|| &self.s[start..end])
    }

    fn rest(&self) -> Option<&'a [u8]> {
        self.s.get(self.pos..).filter(|r| !r.is_empty())
    }
}

fn is_status(w: &[u8]) -> bool {
    w == b"-" || (w.len() == 3 && w.iter().all(u8::is_ascii_digit))
}

fn is_number_or_dash(w: &[u8]) -> bool {
    w == b"-" || w.iter().all(u8::is_ascii_digit)
}

/// The status block, then the space and the first byte of the Referer.
fn status_block(i: &[u8]) -> Option<(&[u8], StatusBlock<'_>)> {
    let mut words = Words::new(i);
    let mut block: StatusBlock = [&[]; 6];
    for slot in block.iter_mut() {
        *slot = words.next_bare()?;
    }
    let shapes_fit = is_status(block[0]) && block[2..].iter().all(|w| is_number_or_dash(w));
    let rest = &i[words.pos.checked_sub(1)?..];
    let referer_follows = rest.starts_with(b" \"") || rest.starts_with(b" -");
    (shapes_fit && referer_follows).then_some((rest, block))
}

/// Request-URI (`"-"`, `-` or `"METHOD target HTTP/x.y"`) and the status
/// block after it; the rest starts at the space before the Referer.
pub fn request_uri(i: &[u8]) -> Res<'_, (Option<&[u8]>, StatusBlock<'_>)> {
    let block_after = |at: usize| {
        status_block(i.get(at..).unwrap_or_default())
            .ok_or(ParseError::new(Column::HttpStatus, "expected status, error code and four numbers or `-`"))
    };
    if i.starts_with(b"- ") {
        let (rest, block) = block_after(2)?;
        return Ok((rest, (None, block)));
    }
    if i.first() != Some(&b'"') {
        return Err(ParseError::new(Column::RequestUri, "expected a quoted request line or `-`"));
    }
    // Prefer a closing quote that ends a whole request line (`... HTTP/x.y`);
    // a target holding a forged status block lacks it.
    let mut fallback = None;
    for q in memchr_iter(b'"', &i[1..]).map(|q| q + 1) {
        if i.get(q + 1) != Some(&b' ') {
            continue;
        }
        if let Some((rest, block)) = status_block(&i[q + 2..]) {
            let uri = &i[1..q];
            let found = (rest, ((uri != b"-").then_some(uri), block));
            if ends_with_http_version(uri) {
                return Ok(found);
            }
            fallback = fallback.or(Some(found));
        }
    }
    fallback
        .ok_or(ParseError::new(Column::RequestUri, "no closing quote followed by status, error code and four numbers"))
}

/// `... HTTP/1.1`
fn ends_with_http_version(uri: &[u8]) -> bool {
    uri.len() >= 9 && uri[uri.len() - 9..uri.len() - 3] == *b" HTTP/" && uri[uri.len() - 2] == b'.'
}

fn is_signature_version(w: &[u8]) -> bool {
    w == b"-" || w.starts_with(b"Sig")
}

/// `AuthHeader`, `QueryString`, `-`, or a word of letters (a type added
/// later); the two S3 writes today are matched whole, without a loop.
fn is_authentication_type(w: &[u8]) -> bool {
    matches!(w, b"AuthHeader" | b"QueryString" | b"-") || w.iter().all(u8::is_ascii_alphabetic)
}

fn is_tls_version(w: &[u8]) -> bool {
    w == b"-" || w.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(b"TLS"))
}

/// The fields after the User-Agent, if `t` has their shape: one word
/// (18-field records) or Version Id, Host Id (one or two words), signature
/// version, cipher, auth type, host header, TLS version, then up to three
/// newer fields and any unknown extras. On success every slot of `fields` is
/// written; on failure some may be.
fn tail<'a>(t: &'a [u8], fields: &mut TailFields<'a>) -> Option<TailEnd<'a>> {
    let mut words = Words::new(t);
    let version_id = words.next_bare()?;
    if words.at_end() {
        *fields = [null_if_dash(version_id), None, None, None, None, None, None, None, None, None];
        return Some(TailEnd { count: 1, extra: None });
    }
    let host_start = words.pos;
    let mut host_id = words.next_bare()?;
    let mut signature = words.next_bare()?;
    if !is_signature_version(signature) {
        // A Host Id of two words (seen on 2019 console traffic).
        host_id = &t[host_start..words.pos - 1];
        signature = words.next_bare().filter(|w| is_signature_version(w))?;
    }
    let cipher = words.next_bare()?;
    let auth = words.next_bare().filter(|w| is_authentication_type(w))?;
    let host = words.next_bare()?;
    let tls = words.next_bare().filter(|w| is_tls_version(w))?;
    let (known, newer) = fields.split_at_mut(7);
    for (slot, word) in known.iter_mut().zip([version_id, host_id, signature, cipher, auth, host, tls]) {
        *slot = null_if_dash(word);
    }
    newer.fill(None);
    let mut end = TailEnd { count: 7, extra: None };
    for slot in newer {
        if words.at_end() {
            return Some(end);
        }
        *slot = null_if_dash(words.next_bare()?);
        end.count += 1;
    }
    end.extra = words.rest();
    Some(end)
}

/// Splits `REF "UA` (the User-Agent's closing quote excluded) into Referer and
/// User-Agent contents.
fn split_referer_agent(s: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    if let Some(agent) = s.strip_prefix(b"- \"") {
        return Some((None, agent));
    }
    let inner = s.strip_prefix(b"\"")?;
    let k = quote_followed_by(inner, b" \"")?;
    let referer = &inner[..k];
    Some(((referer != b"-").then_some(referer), &inner[k + 3..]))
}

/// The first `"` of `hay` that `follow` comes right after.
fn quote_followed_by(hay: &[u8], follow: &[u8]) -> Option<usize> {
    memchr_iter(b'"', hay).find(|q| hay[q + 1..].starts_with(follow))
}

/// Referer and User-Agent, and the tail written into `fields`. `i` starts
/// at the Referer.
pub fn agent_and_tail<'a>(i: &'a [u8], fields: &mut TailFields<'a>) -> Result<AgentAndTail<'a>, ParseError> {
    // Records of 24+ fields are all S3 writes today, so a full tail wins over
    // a one-word (18-field) tail further right, which could be a quote in a
    // new trailing field.
    let mut short_record = None;
    for q in memrchr_iter(b'"', i) {
        if q == 0 {
            break;
        }
        let Some(rest) = i[q + 1..].strip_prefix(b" ") else {
            continue;
        };
        let Some(end) = tail(rest, fields) else { continue };
        let Some((referer, agent)) = split_referer_agent(&i[..q]) else {
            continue;
        };
        let found = AgentAndTail { referer, agent: null_if_dash(agent), end };
        if end.count > 1 {
            return Ok(found);
        }
        // Its fields are kept aside: later candidates write over them.
        short_record = short_record.or(Some((found, *fields)));
    }
    match short_record {
        Some((found, short_fields)) => {
            *fields = short_fields;
            Ok(found)
        }
        None => bare_dash_agent(i, fields),
    }
}

/// What [`agent_and_tail`] found besides the tail's fields.
pub struct AgentAndTail<'a> {
    pub referer: Option<&'a [u8]>,
    pub agent: Option<&'a [u8]>,
    pub end: TailEnd<'a>,
}

/// A User-Agent logged as a bare `-` (batch deletes, some internal requests).
fn bare_dash_agent<'a>(i: &'a [u8], fields: &mut TailFields<'a>) -> Result<AgentAndTail<'a>, ParseError> {
    let missing =
        ParseError::new(Column::UserAgent, "no closing quote followed by the fields S3 writes after the User-Agent");
    let (referer, rest) = if let Some(rest) = i.strip_prefix(b"- ") {
        (None, rest)
    } else if let Some(inner) = i.strip_prefix(b"\"") {
        let k = quote_followed_by(inner, b" ").ok_or(missing)?;
        (null_if_dash(&inner[..k]), &inner[k + 2..])
    } else {
        return Err(ParseError::new(Column::Referer, "expected a quoted value or `-`"));
    };
    let end = rest.strip_prefix(b"- ").and_then(|t| tail(t, fields)).ok_or(missing)?;
    Ok(AgentAndTail { referer, agent: None, end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What [`Words`] must give, one byte at a time: each word up to the next
    /// space, `None` for an empty word or one cut by a quote (which ends the
    /// walk), until the position passes the end.
    fn plain_words(s: &[u8]) -> Vec<Option<&[u8]>> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos <= s.len() {
            let end = s[pos..].iter().position(|b| *b == b' ' || *b == b'"').map_or(s.len(), |p| pos + p);
            if s.get(end) == Some(&b'"') {
                out.push(None);
                break;
            }
            out.push((end > pos).then(|| &s[pos..end]));
            pos = end + 1;
        }
        out
    }

    #[test]
    fn authentication_types_are_the_two_s3_writes_a_dash_or_letters() {
        for ok in ["AuthHeader", "QueryString", "-", "SomeLaterType"] {
            assert!(is_authentication_type(ok.as_bytes()), "{ok}");
        }
        for not in ["Auth-Header", "QueryString1", "--", "TLSv1.2"] {
            assert!(!is_authentication_type(not.as_bytes()), "{not}");
        }
    }

    proptest! {
        #[test]
        fn words_agree_with_a_byte_by_byte_walk_across_bitmap_blocks(
            s in proptest::collection::vec(prop_oneof![8 => Just(b'a'), 2 => Just(b' '), 1 => Just(b'"')], 0..300)
        ) {
            let mut words = Words::new(&s);
            let mut got = Vec::new();
            while !words.at_end() {
                let before = words.pos;
                let word = words.next_bare();
                got.push(word);
                if words.pos == before {
                    break; // stopped at a quote
                }
            }
            prop_assert_eq!(got, plain_words(&s));
        }
    }
}
