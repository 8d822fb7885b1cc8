//! Columns computed from a parsed record: the request line's parts, what a
//! presigned URL's query string says about its signer and lifetime, what kind
//! of principal the requester is, and whether the request failed because a
//! credential or a presigned URL was expired or wrong.

use memchr::{memchr, memrchr};

use super::find;

use super::time::{Micros, epoch_seconds_to_micros, parse_amz_date};
use super::{LogRecord, whole_number};
use crate::schema::Column;

/// Everything derived from one record; slices borrow from the line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Derived<'a> {
    pub request_method: Option<&'a [u8]>,
    pub request_path: Option<&'a [u8]>,
    pub http_version: Option<&'a [u8]>,
    pub presign: Option<Presign<'a>>,
    pub requester_kind: &'static str,
    pub requester_account: Option<&'a [u8]>,
    pub credential_failure: Option<&'static str>,
}

/// What a presigned URL's query string carries.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Presign<'a> {
    pub version: &'static str,
    pub access_key_id: Option<&'a [u8]>,
    pub signed_at: Option<Micros>,
    pub expires_at: Option<Micros>,
    pub expires_seconds: Option<i64>,
    pub has_session_token: bool,
}

/// Which parts of [`Derived`] to compute: each costs a pass over a field,
/// and a query seldom asks for all of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DerivedParts {
    /// Request method, path, version, the presign columns, and with them
    /// `credential_failure` (which needs the presigned expiry).
    pub request: bool,
    /// `credential_failure` without the rest of `request`: the request line
    /// is then read only for the records whose error needs it.
    pub credential_failure: bool,
    /// `requester_kind` and `requester_account`.
    pub requester: bool,
}

impl DerivedParts {
    /// The parts that `columns` need.
    pub fn of(columns: &[Column]) -> Self {
        let requester = |c: &Column| matches!(c, Column::RequesterKind | Column::RequesterAccount);
        let request = |c: &Column| c.is_derived() && !requester(c) && *c != Column::CredentialFailure;
        DerivedParts {
            request: columns.iter().any(request),
            credential_failure: columns.contains(&Column::CredentialFailure),
            requester: columns.iter().any(requester),
        }
    }

    pub fn any(self) -> bool {
        self.request || self.credential_failure || self.requester
    }
}

impl<'a> Derived<'a> {
    /// The `parts` of what `record` implies; the others are left empty (the
    /// tests' shorthand for [`Derived::fill`]).
    #[cfg(test)]
    pub fn of(record: &LogRecord<'a>, parts: DerivedParts) -> Self {
        let mut derived = Derived::default();
        derived.fill(record, parts);
        derived
    }

    /// Sets the `parts` of what `record` implies, in place: a batch keeps
    /// one slot per row, and building the value elsewhere to move it in
    /// copied its 184 bytes for every record.
    pub fn fill(&mut self, record: &LogRecord<'a>, parts: DerivedParts) {
        if parts.request {
            let request = record.text(Column::RequestUri).map(RequestLine::split).unwrap_or_default();
            self.request_method = request.method;
            self.request_path = request.path;
            self.http_version = request.version;
            self.presign = request.query.and_then(presign);
            self.credential_failure = credential_failure(record, || self.presign.as_ref()?.expires_at);
        } else if parts.credential_failure {
            self.credential_failure = credential_failure_of(record);
        }
        if parts.requester {
            (self.requester_kind, self.requester_account) = requester_kind(record.text(Column::Requester));
        }
    }
}

/// `METHOD target HTTP/x.y`, with the target split at `?`.
#[derive(Debug, Default, Clone, Copy)]
struct RequestLine<'a> {
    method: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    query: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
}

impl<'a> RequestLine<'a> {
    fn split(line: &'a [u8]) -> Self {
        let Some(sp) = find::space(line) else {
            return RequestLine { method: Some(line), ..Default::default() };
        };
        let method = &line[..sp];
        let mut target = &line[sp + 1..];
        let mut version = None;
        // Most request lines end in ` HTTP/1.1`, whose space is the last.
        let last_space = if target.ends_with(b" HTTP/1.1") { Some(target.len() - 9) } else { memrchr(b' ', target) };
        if let Some(last) = last_space
            && target[last + 1..].starts_with(b"HTTP/")
        {
            version = Some(&target[last + 1..]);
            target = &target[..last];
        }
        let (path, query) = match find::byte(b'?', target) {
            Some(q) => (&target[..q], Some(&target[q + 1..])),
            None => (target, None),
        };
        RequestLine { method: Some(method), path: Some(path), query, version }
    }
}

/// The query-string parameters of a presigned request that matter here.
#[derive(Default)]
struct PresignParams<'a> {
    v4_credential: Option<&'a [u8]>,
    v4_date: Option<&'a [u8]>,
    v4_expires: Option<&'a [u8]>,
    v4_signature: Option<&'a [u8]>,
    v2_access_key: Option<&'a [u8]>,
    v2_expires: Option<&'a [u8]>,
    v2_signature: Option<&'a [u8]>,
    session_token: bool,
}

impl<'a> PresignParams<'a> {
    fn read(query: &'a [u8]) -> Self {
        let mut p = PresignParams::default();
        query_pairs(query).for_each(|pair| p.take(pair));
        p
    }

    /// Keeps the value of `pair` (`name=value`) when its name is one of the
    /// parameters that matter here.
    fn take(&mut self, pair: &'a [u8]) {
        // Every name below starts with one of these letters; the other
        // pairs are passed over without finding their `=`.
        if !matches!(pair.first(), Some(b'X' | b'x' | b'A' | b'E' | b'S')) {
            return;
        }
        let (name, value) = match find::byte(b'=', pair) {
            Some(e) => (&pair[..e], &pair[e + 1..]),
            None => (pair, &b""[..]),
        };
        let is = |expected: &str| name.eq_ignore_ascii_case(expected.as_bytes());
        if is("X-Amz-Credential") {
            self.v4_credential = Some(value);
        } else if is("X-Amz-Date") {
            self.v4_date = Some(value);
        } else if is("X-Amz-Expires") {
            self.v4_expires = Some(value);
        } else if is("X-Amz-Signature") {
            self.v4_signature = Some(value);
        } else if is("X-Amz-Security-Token") {
            self.session_token = true;
        } else if name == b"AWSAccessKeyId" {
            self.v2_access_key = Some(value);
        } else if name == b"Expires" {
            self.v2_expires = Some(value);
        } else if name == b"Signature" {
            self.v2_signature = Some(value);
        }
    }
}

/// The `&`-separated pairs of a query string, found with `memchr`: a
/// session token's pair alone is several hundred bytes.
fn query_pairs(query: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(query);
    std::iter::from_fn(move || {
        let r = rest?;
        let (pair, after) = match memchr(b'&', r) {
            Some(at) => (&r[..at], Some(&r[at + 1..])),
            None => (r, None),
        };
        rest = after;
        Some(pair)
    })
}

/// The access key id at the start of `X-Amz-Credential`
/// (`AKID/20190206/us-east-1/s3/aws4_request`, slashes often `%2F`).
fn credential_access_key(credential: &[u8]) -> &[u8] {
    let mut from = 0;
    while let Some(at) = find::either(b'/', b'%', &credential[from..]).map(|at| from + at) {
        if credential[at] == b'/' || credential[at..].get(..3).is_some_and(|s| s.eq_ignore_ascii_case(b"%2F")) {
            return &credential[..at];
        }
        from = at + 1;
    }
    credential
}

fn presign(query: &[u8]) -> Option<Presign<'_>> {
    let p = PresignParams::read(query);
    if p.v4_credential.is_some() || (p.v4_signature.is_some() && p.v4_date.is_some()) {
        let signed_at = p.v4_date.and_then(parse_amz_date);
        let expires_seconds = p.v4_expires.and_then(whole_number);
        let expires_at = signed_at
            .zip(expires_seconds)
            .and_then(|(at, secs)| epoch_seconds_to_micros(secs).and_then(|d| at.checked_add(d)));
        return Some(Presign {
            version: "v4",
            access_key_id: p.v4_credential.map(credential_access_key).filter(|k| !k.is_empty()),
            signed_at,
            expires_at,
            expires_seconds,
            has_session_token: p.session_token,
        });
    }
    if p.v2_access_key.is_some() && (p.v2_signature.is_some() || p.v2_expires.is_some()) {
        return Some(Presign {
            version: "v2",
            access_key_id: p.v2_access_key.filter(|k| !k.is_empty()),
            signed_at: None,
            expires_at: p.v2_expires.and_then(whole_number).and_then(epoch_seconds_to_micros),
            expires_seconds: None,
            has_session_token: p.session_token,
        });
    }
    None
}

/// The signature of a presigned request URI (`X-Amz-Signature` or SigV2
/// `Signature`), as written.
pub fn presign_signature(request_uri: &[u8]) -> Option<&[u8]> {
    let query = RequestLine::split(request_uri).query?;
    let p = PresignParams::read(query);
    p.v4_signature.or(p.v2_signature).filter(|s| !s.is_empty())
}

/// The value of query parameter `name` in a request URI, as written.
pub fn query_param<'a>(request_uri: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let query = RequestLine::split(request_uri).query?;
    query_pairs(query).find_map(|pair| {
        let (n, v) = pair.split_at(find::byte(b'=', pair)?);
        (n == name).then_some(&v[1..])
    })
}

/// `arn:PARTITION:SERVICE::ACCOUNT:RESOURCE` split into service, account and
/// resource.
fn arn_parts(arn: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    common_arn_parts(arn).or_else(|| any_arn_parts(arn))
}

/// [`arn_parts`] of any ARN, by searching for each colon.
fn any_arn_parts(arn: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let rest = arn.strip_prefix(b"arn:")?;
    let (_partition, rest) = split_at_colon(rest)?;
    let (service, rest) = split_at_colon(rest)?;
    let (_region, rest) = split_at_colon(rest)?;
    let (account, resource) = split_at_colon(rest)?;
    Some((service, account, resource))
}

/// [`arn_parts`] of the shape nearly every requester has,
/// `arn:aws:SVC::ACCOUNT:RESOURCE` with a three-letter service (`iam`, `sts`)
/// and a 12-digit account, read at fixed places instead of four searches.
fn common_arn_parts(arn: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let head: &[u8; 26] = arn.first_chunk()?;
    let fits = head.starts_with(b"arn:aws:")
        && !head[8..11].contains(&b':')
        && head[11..13] == *b"::"
        && all_digits(&head[13..25])
        && head[25] == b':';
    fits.then(|| (&arn[8..11], &arn[13..25], &arn[26..]))
}

/// Whether every byte of `v` is an ASCII digit, eight at a time: a byte is
/// one when its high nibble is 3 and adding 6 keeps it so.
fn all_digits(v: &[u8]) -> bool {
    let (words, rest) = v.as_chunks::<8>();
    let high_nibbles = 0xf0f0_f0f0_f0f0_f0f0_u64;
    let threes = 0x3030_3030_3030_3030_u64;
    let words_are_digits = words.iter().fold(true, |ok, w| {
        let w = u64::from_le_bytes(*w);
        ok & (w & high_nibbles == threes) & (w.wrapping_add(0x0606_0606_0606_0606) & high_nibbles == threes)
    });
    words_are_digits && rest.iter().all(u8::is_ascii_digit)
}

/// What comes before and after the first `:` of `s`.
fn split_at_colon(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = find::byte(b':', s)?;
    Some((&s[..colon], &s[colon + 1..]))
}

fn is_canonical_user_id(v: &[u8]) -> bool {
    v.len() == 64 && v.iter().all(u8::is_ascii_hexdigit)
}

/// `requester_kind` and `requester_account` of a Requester value.
pub fn requester_kind(requester: Option<&[u8]>) -> (&'static str, Option<&[u8]>) {
    let Some(r) = requester else {
        return ("anonymous", None);
    };
    if r == b"Anonymous" {
        return ("anonymous", None);
    }
    if let Some((service, account, resource)) = arn_parts(r) {
        let numeric = !account.is_empty() && all_digits(account);
        let kind = match (service, numeric) {
            (b"iam", true) if resource == b"root" => "root",
            (b"iam", true) if resource.starts_with(b"user/") => "iam_user",
            (b"sts", true) if resource.starts_with(b"assumed-role/") => "assumed_role",
            (b"iam", false) if account == b"cloudfront" => "service",
            _ => "other",
        };
        return (kind, numeric.then_some(account));
    }
    if r.starts_with(b"svc:") || r == b"AmazonS3" || r.ends_with(b".amazonaws.com") {
        return ("service", None);
    }
    if is_canonical_user_id(r) {
        return ("canonical_user", None);
    }
    ("other", None)
}

/// Why `record` failed, where the cause is a credential or a presigned URL
/// (the `credential_failure` column), computed alone: the request line is
/// read only for the few records whose error needs a presigned URL's expiry.
pub fn credential_failure_of(record: &LogRecord<'_>) -> Option<&'static str> {
    let expires_at = || {
        let query = RequestLine::split(record.text(Column::RequestUri)?).query?;
        presign(query)?.expires_at
    };
    credential_failure(record, expires_at)
}

/// Why `record` failed for its credentials, if it did; `expires_at` gives
/// the presigned URL's expiry, asked for only when the error needs it.
fn credential_failure(record: &LogRecord<'_>, expires_at: impl FnOnce() -> Option<Micros>) -> Option<&'static str> {
    let code = record.text(Column::ErrorCode)?;
    let by_code = match code {
        b"ExpiredToken" => Some("expired_token"),
        b"TokenRefreshRequired" => Some("token_refresh_required"),
        b"RequestTimeTooSkewed" => Some("clock_skew"),
        b"SignatureDoesNotMatch" => Some("signature_mismatch"),
        b"InvalidAccessKeyId" => Some("invalid_access_key"),
        b"InvalidToken" => Some("invalid_token"),
        _ => None,
    };
    if by_code.is_some() {
        return by_code;
    }
    let presigned_expired = code == b"AccessDenied"
        && record.http_status() == Some(403)
        && record.text(Column::AuthenticationType) == Some(b"QueryString")
        && expires_at().is_some_and(|expires| record.time > expires);
    presigned_expired.then_some("presigned_expired")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_splits_method_path_query_version() {
        let r = RequestLine::split(b"GET /bucket/a%20b.txt?versionId=3&x=1 HTTP/1.1");
        assert_eq!(r.method, Some(&b"GET"[..]));
        assert_eq!(r.path, Some(&b"/bucket/a%20b.txt"[..]));
        assert_eq!(r.query, Some(&b"versionId=3&x=1"[..]));
        assert_eq!(r.version, Some(&b"HTTP/1.1"[..]));
        let star = RequestLine::split(b"OPTIONS * HTTP/1.0");
        assert_eq!((star.path, star.version), (Some(&b"*"[..]), Some(&b"HTTP/1.0"[..])));
        let no_version = RequestLine::split(b"GET /x");
        assert_eq!((no_version.path, no_version.version), (Some(&b"/x"[..]), None));
        // The version is the last word, however the line ends.
        for (line, path, version) in [
            (&b"GET  HTTP/1.1"[..], &b""[..], Some(&b"HTTP/1.1"[..])),
            (b"GET HTTP/1.1", b"HTTP/1.1", None),
            (b"GET /a HTTP/1.1 HTTP/1.1", b"/a HTTP/1.1", Some(b"HTTP/1.1")),
            (b"GET /a xHTTP/1.1", b"/a xHTTP/1.1", None),
            (b"GET /a?b HTTP/2.0", b"/a", Some(b"HTTP/2.0")),
        ] {
            let r = RequestLine::split(line);
            assert_eq!((r.path, r.version), (Some(path), version), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn query_pairs_are_the_pieces_between_ampersands() {
        for query in [&b""[..], b"a", b"a=1&b=2", b"&", b"a&&b&", b"&x=1"] {
            let expected: Vec<&[u8]> = query.split(|b| *b == b'&').collect();
            assert_eq!(query_pairs(query).collect::<Vec<_>>(), expected, "{}", String::from_utf8_lossy(query));
        }
    }

    #[test]
    fn sigv4_presign_is_read_from_the_query() {
        let q = b"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok&X-Amz-Signature=abc";
        let p = presign(q).unwrap();
        assert_eq!(p.version, "v4");
        assert_eq!(p.access_key_id, Some(&b"ASIAXAMPLE"[..]));
        assert_eq!(p.signed_at, Some(1_704_067_200_000_000));
        assert_eq!(p.expires_at, Some(1_704_070_800_000_000));
        assert_eq!(p.expires_seconds, Some(3600));
        assert!(p.has_session_token);
        for (credential, key) in [
            (&b"AKID/20240101/us-east-1/s3/aws4_request"[..], &b"AKID"[..]),
            (b"AKID%2f20240101", b"AKID"),
            (b"AK%41ID%2520%2F2024", b"AK%41ID%2520"),
            (b"AKID%2", b"AKID%2"),
            (b"%2F2024", b""),
            (b"AKID", b"AKID"),
        ] {
            assert_eq!(credential_access_key(credential), key, "{}", String::from_utf8_lossy(credential));
        }
    }

    #[test]
    fn sigv2_presign_is_read_from_the_query() {
        let p = presign(b"AWSAccessKeyId=AKIAEXAMPLE&Expires=1439881105&Signature=abc%3D").unwrap();
        assert_eq!(p.version, "v2");
        assert_eq!(p.access_key_id, Some(&b"AKIAEXAMPLE"[..]));
        assert_eq!(p.expires_at, Some(1_439_881_105_000_000));
        assert_eq!((p.signed_at, p.expires_seconds, p.has_session_token), (None, None, false));
        assert!(presign(b"versionId=abc&x-id=GetObject").is_none());
    }

    #[test]
    fn signature_and_params_are_found_in_uris() {
        let v4 = b"GET /k?X-Amz-Credential=A%2F1&X-Amz-Date=20240101T000000Z&X-Amz-Signature=abc HTTP/1.1";
        assert_eq!(presign_signature(v4), Some(&b"abc"[..]));
        assert_eq!(presign_signature(b"GET /k?AWSAccessKeyId=A&Expires=1&Signature=x%3D HTTP/1.1"), Some(&b"x%3D"[..]));
        assert_eq!(presign_signature(b"GET /k HTTP/1.1"), None);
        assert_eq!(query_param(v4, b"X-Amz-Date"), Some(&b"20240101T000000Z"[..]));
        assert_eq!(query_param(v4, b"X-Amz"), None);
    }

    #[test]
    fn requester_kinds() {
        fn kind(r: &str) -> (&'static str, Option<&[u8]>) {
            requester_kind(Some(r.as_bytes()))
        }
        assert_eq!(kind("arn:aws:iam::123456789012:user/alice"), ("iam_user", Some(&b"123456789012"[..])));
        assert_eq!(kind("arn:aws:iam::123456789012:root"), ("root", Some(&b"123456789012"[..])));
        assert_eq!(
            kind("arn:aws:sts::123456789012:assumed-role/Admin/session"),
            ("assumed_role", Some(&b"123456789012"[..]))
        );
        assert_eq!(kind("arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EX"), ("service", None));
        assert_eq!(kind("svc:delivery.logs.amazonaws.com"), ("service", None));
        assert_eq!(kind("AmazonS3"), ("service", None));
        assert_eq!(kind("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"), ("canonical_user", None));
        assert_eq!(requester_kind(None), ("anonymous", None));
        assert_eq!(kind("somebody"), ("other", None));
        // A resource may hold colons; too few parts or another prefix is no ARN.
        assert_eq!(kind("arn:aws:sts::123456789012:assumed-role/R/a:b"), ("assumed_role", Some(&b"123456789012"[..])));
        assert_eq!(kind("arn:aws:iam::123456789012"), ("other", None));
        assert_eq!(kind("xrn:aws:iam::123456789012:root"), ("other", None));
        assert_eq!(kind("arn:aws:iam::12345678901x:root"), ("other", None));
    }

    #[test]
    fn digits_are_told_from_every_other_byte_at_every_place() {
        for len in 0..20 {
            assert!(all_digits(&b"01234567890123456789"[..len]));
            for at in 0..len {
                for byte in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                    let mut v = b"98765432109876543210"[..len].to_vec();
                    v[at] = byte;
                    assert!(!all_digits(&v), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn common_arns_are_split_at_fixed_places_as_a_search_splits_them() {
        let common = [
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:sts::123456789012:assumed-role/R/s",
            "arn:aws:iam::123456789012:",
            "arn:aws:iam::123456789012:root",
        ];
        for arn in common {
            assert!(common_arn_parts(arn.as_bytes()).is_some(), "{arn}");
            assert_eq!(common_arn_parts(arn.as_bytes()), any_arn_parts(arn.as_bytes()), "{arn}");
        }
        let others = [
            "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EX",
            "arn:aws-cn:iam::123456789012:root",
            "arn:aws:s3:::bucket/key/with:colon:and/more",
            "arn:aws:iam::12345678901:root",
            "arn:aws:iam::1234567890123:root",
            "arn:aws:iam::12345678901x:root",
            "arn:aws:ia:::123456789012:root",
            "arn:aws:iam:us-east-1:123456789012:root",
            "arn:aws:iam::123456789012",
        ];
        for arn in others {
            assert_eq!(common_arn_parts(arn.as_bytes()), None, "{arn}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_fixed_place_split_agrees_with_the_search(
            partition in proptest::sample::select(vec!["aws", "aws", "aws", "aws-cn", "aw:"]),
            service in proptest::sample::select(vec!["iam", "sts", "iam", "s3", "i:m"]),
            region in proptest::sample::select(vec!["", "", "", "x", ":"]),
            account in "[0-9]{10,14}|[0-9:x]{12}",
            resource in "[:a-z/]{0,6}",
        ) {
            let arn = format!("arn:{partition}:{service}:{region}:{account}:{resource}");
            let fixed = common_arn_parts(arn.as_bytes());
            proptest::prop_assert!(fixed.is_none() || fixed == any_arn_parts(arn.as_bytes()), "{}", arn);
        }
    }

    #[test]
    fn only_the_asked_for_parts_are_derived() {
        let line = b"owner example-bucket [21/Nov/2026:02:05:00 +0000] 198.51.100.50 arn:aws:iam::111122223333:user/alice D435 REST.GET.OBJECT k \"GET /k?X-Amz-Credential=AKIAEXAMPLE%2F20261121%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261121T020000Z&X-Amz-Expires=60&X-Amz-Signature=abc HTTP/1.1\" 403 AccessDenied 243 - 8 - \"-\" \"curl/8.0\" - hostid SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString example-bucket.s3.amazonaws.com TLSv1.2";
        let record = super::super::parse_line(line).unwrap();
        let parts = |columns: &[Column]| DerivedParts::of(columns);
        assert_eq!(parts(&[Column::Bucket, Column::SourceLine]), DerivedParts::default());
        let only = |request, credential_failure, requester| DerivedParts { request, credential_failure, requester };
        assert_eq!(parts(&[Column::RequesterKind]), only(false, false, true));
        assert_eq!(parts(&[Column::CredentialFailure]), only(false, true, false));
        assert_eq!(parts(&[Column::CredentialFailure, Column::PresignVersion]), only(true, true, false));

        let requester_only = Derived::of(&record, parts(&[Column::RequesterAccount]));
        assert_eq!(requester_only.requester_kind, "iam_user");
        assert_eq!(requester_only.requester_account, Some(&b"111122223333"[..]));
        assert_eq!((requester_only.request_method, requester_only.presign), (None, None));

        let request_only = Derived::of(&record, parts(&[Column::RequestMethod]));
        assert_eq!(request_only.request_method, Some(&b"GET"[..]));
        assert_eq!(request_only.credential_failure, Some("presigned_expired"));
        assert_eq!(request_only.presign.map(|p| p.expires_seconds), Some(Some(60)));
        assert_eq!((request_only.requester_kind, request_only.requester_account), ("", None));

        // Alone, the failure is the same without the request line's parts.
        let failure_only = Derived::of(&record, parts(&[Column::CredentialFailure]));
        assert_eq!(failure_only.credential_failure, Some("presigned_expired"));
        assert_eq!((failure_only.request_method, failure_only.presign), (None, None));
        assert_eq!(credential_failure_of(&record), Some("presigned_expired"));
    }
}
