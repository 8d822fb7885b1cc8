//! Unit tests of the parsing rules.
use super::*;

fn text<'a>(r: &LogRecord<'a>, c: Column) -> Option<&'a str> {
    r.text(c).map(|b| std::str::from_utf8(b).unwrap())
}

const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
const HEAD: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT key.txt";
const TAIL24: &str = "- HOSTID= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket.s3.amazonaws.com TLSv1.2";

fn line(uri: &str, referer: &str, agent: &str, tail: &str) -> String {
    format!("{HEAD} {uri} 200 - 113 113 7 6 {referer} {agent} {tail}")
}

#[test]
fn parsing_into_a_used_record_leaves_nothing_of_the_old_one() {
    let long = line(
        "\"GET /bucket/key.txt HTTP/1.1\"",
        "\"https://example.com/\"",
        "\"aws-cli/2.0\"",
        &format!("{TAIL24} arn:aws:s3:us-east-1:1:accesspoint/ap Yes us-east-1 extra"),
    );
    let short = format!("{HEAD} - 404 NoSuchKey - - 7 - - - -");
    let mut record = parse_line(long.as_bytes()).unwrap();
    assert_eq!((record.field_count, text(&record, Column::SourceRegion)), (27, Some("us-east-1")));
    parse_line_into(short.as_bytes(), &mut record, &mut DayCache::default()).unwrap();
    assert_eq!(record, parse_line(short.as_bytes()).unwrap());
    assert_eq!((record.field_count, record.http_status(), record.extra_fields), (18, Some(404), None));
    assert_eq!((text(&record, Column::UserAgent), text(&record, Column::SourceRegion)), (None, None));
}

#[test]
fn a_27_field_record_maps_every_field() {
    let l = line(
        "\"GET /bucket/key.txt HTTP/1.1\"",
        "\"-\"",
        "\"aws-cli/2.0\"",
        &format!("{TAIL24} arn:aws:s3:us-east-1:1:accesspoint/ap Yes us-east-1"),
    );
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(r.field_count, 27);
    assert_eq!(text(&r, Column::BucketOwner), Some(OWNER));
    assert_eq!(r.time, 1_549_411_238_000_000);
    assert_eq!(text(&r, Column::Requester), Some("arn:aws:iam::123456789012:user/alice"));
    assert_eq!(text(&r, Column::RequestUri), Some("GET /bucket/key.txt HTTP/1.1"));
    assert_eq!(
        (r.http_status(), r.bytes_sent(), r.object_size(), r.total_time_ms(), r.turn_around_time_ms()),
        (Some(200), Some(113), Some(113), Some(7), Some(6))
    );
    assert_eq!(text(&r, Column::Referer), None);
    assert_eq!(text(&r, Column::UserAgent), Some("aws-cli/2.0"));
    assert_eq!(text(&r, Column::HostId), Some("HOSTID="));
    assert_eq!(text(&r, Column::TlsVersion), Some("TLSv1.2"));
    assert_eq!(text(&r, Column::AccessPointArn), Some("arn:aws:s3:us-east-1:1:accesspoint/ap"));
    assert_eq!(text(&r, Column::AclRequired), Some("Yes"));
    assert_eq!(text(&r, Column::SourceRegion), Some("us-east-1"));
    assert_eq!(r.extra_fields, None);
}

#[test]
fn older_records_have_null_trailing_fields() {
    let cases = [
        ("-".to_string(), 18),
        (TAIL24.to_string(), 24),
        (format!("{TAIL24} -"), 25),
        (format!("{TAIL24} - Yes"), 26),
        (format!("{TAIL24} - - eu-west-1"), 27),
    ];
    for (tail, count) in cases {
        let l = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"ua\"", &tail);
        let r = parse_line(l.as_bytes()).unwrap_or_else(|e| panic!("{count}: {e}"));
        assert_eq!(r.field_count, count, "{tail}");
        let last_known = Column::ALL[count - 1];
        if count > 18 {
            assert!(r.text(Column::HostId).is_some());
        }
        for c in &Column::ALL[count..KNOWN_FIELDS] {
            assert_eq!(r.text(*c), None, "{} should be null in a {count}-field record", c.name());
        }
        let _ = last_known;
    }
}

#[test]
fn unknown_trailing_fields_are_kept_as_written() {
    let l = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"ua\"", &format!("{TAIL24} - - us-east-1 NewField \"quoted new\""));
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(r.field_count, 27);
    assert_eq!(text(&r, Column::SourceRegion), Some("us-east-1"));
    assert_eq!(r.extra_fields, Some(&b"NewField \"quoted new\""[..]));
}

#[test]
fn dashes_are_null_quoted_or_not() {
    let l = line("\"-\"", "-", "\"-\"", TAIL24);
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(
        (text(&r, Column::RequestUri), text(&r, Column::Referer), text(&r, Column::UserAgent)),
        (None, None, None)
    );
    assert_eq!(text(&r, Column::ErrorCode), None);
    assert_eq!(text(&r, Column::VersionId), None);
    let bare = line("-", "-", "-", TAIL24);
    let r = parse_line(bare.as_bytes()).unwrap();
    assert_eq!((text(&r, Column::RequestUri), text(&r, Column::UserAgent)), (None, None));
    assert_eq!(text(&r, Column::SignatureVersion), Some("SigV4"));
}

#[test]
fn requester_with_spaces_stays_one_field() {
    let l = format!(
        "{OWNER} bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID 3E57427F3EXAMPLE REST.GET.OBJECT k \"GET /k HTTP/1.1\" 200 - 1 1 1 1 \"-\" \"Amazon CloudFront\" - {}",
        &TAIL24[2..]
    );
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(
        text(&r, Column::Requester),
        Some("arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID")
    );
    assert_eq!(text(&r, Column::RequestId), Some("3E57427F3EXAMPLE"));
    assert_eq!(text(&r, Column::Operation), Some("REST.GET.OBJECT"));
    assert_eq!(text(&r, Column::UserAgent), Some("Amazon CloudFront"));
}

#[test]
fn host_id_of_two_words_is_one_field() {
    let l = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"ua\"", "- AIDAEXAMPLE abc+def= SigV2 - AuthHeader h TLSv1.2");
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(text(&r, Column::HostId), Some("AIDAEXAMPLE abc+def="));
    assert_eq!(text(&r, Column::SignatureVersion), Some("SigV2"));
}

#[test]
fn user_agent_forging_a_whole_tail_cannot_shift_fields() {
    // The agent imitates the rest of a record, quotes and all.
    let evil = "\"evil\" - FAKEHOST SigV2 - QueryString attacker.example TLSv1 arn:fake Yes us-fake-1\"";
    let l = line("\"GET /k HTTP/1.1\"", "\"-\"", evil, &format!("{TAIL24} - - us-east-1"));
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(text(&r, Column::UserAgent), Some(&evil[1..evil.len() - 1]));
    assert_eq!(text(&r, Column::HostId), Some("HOSTID="));
    assert_eq!(text(&r, Column::SignatureVersion), Some("SigV4"));
    assert_eq!(text(&r, Column::AuthenticationType), Some("AuthHeader"));
    assert_eq!(text(&r, Column::SourceRegion), Some("us-east-1"));
}

#[test]
fn user_agent_forging_a_tail_in_an_18_field_record() {
    // The second forgery passes the seven fields of a 24-field tail and
    // fails only after them: what it wrote must not stay in the record.
    for evil in [
        "\"x\" - FAKEHOST SigV2 - QueryString h TLSv1.2\"",
        "\"x\" - FAKEHOST SigV2 - QueryString h TLSv1.2 arn:fake\"",
    ] {
        let l = line("\"GET /k HTTP/1.1\"", "\"-\"", evil, "3HL4kqtJvjVBH40Nrjfkd");
        let r = parse_line(l.as_bytes()).unwrap();
        assert_eq!(r.field_count, 18);
        assert_eq!(text(&r, Column::UserAgent), Some(&evil[1..evil.len() - 1]));
        assert_eq!(text(&r, Column::VersionId), Some("3HL4kqtJvjVBH40Nrjfkd"));
        assert_eq!((text(&r, Column::HostId), text(&r, Column::SignatureVersion)), (None, None));
    }
}

#[test]
fn request_uri_with_quotes_and_fake_status() {
    let uri = "\"GET /k?q=\"x\" 404 HTTP/1.1\"";
    let l = line(uri, "\"http://a\" b\"", "\"ua \"quoted\" end\"", TAIL24);
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(text(&r, Column::RequestUri), Some("GET /k?q=\"x\" 404 HTTP/1.1"));
    assert_eq!(r.http_status(), Some(200));
    assert_eq!(text(&r, Column::Referer), Some("http://a\" b"));
    assert_eq!(text(&r, Column::UserAgent), Some("ua \"quoted\" end"));
}

#[test]
fn agent_starting_with_a_quote() {
    let l = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"\"Mozilla/5.0 (X11)\"", TAIL24);
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(text(&r, Column::UserAgent), Some("\"Mozilla/5.0 (X11)"));
}

#[test]
fn backslash_escaped_quotes_stay_as_written() {
    let l = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"app \\\"v1\\\" x\"", TAIL24);
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(text(&r, Column::UserAgent), Some("app \\\"v1\\\" x"));
}

#[test]
fn key_with_spaces_runs_until_the_request_uri() {
    let l = format!(
        "{OWNER} bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID REST.GET.OBJECT my key.txt \"GET /my%20key.txt HTTP/1.1\" 200 - 1 1 1 1 \"-\" \"ua\" {TAIL24}"
    );
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(text(&r, Column::Key), Some("my key.txt"));
    assert_eq!(text(&r, Column::Requester), None);
}

#[test]
fn time_offset_is_applied() {
    let l = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"ua\"", TAIL24).replace("+0000", "+0200");
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(r.time, 1_549_411_238_000_000 - 2 * 3600 * 1_000_000);
}

#[test]
fn crlf_and_trailing_space_are_ignored() {
    let l = format!("{}\r", line("\"GET /k HTTP/1.1\"", "\"-\"", "\"ua\"", &format!("{TAIL24} - Yes ")));
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(text(&r, Column::AclRequired), Some("Yes"));
}

#[test]
fn invalid_utf8_bytes_do_not_stop_the_parser() {
    let mut l = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"ua\"", TAIL24).into_bytes();
    let at = l.windows(2).position(|w| w == b"ua").unwrap();
    l[at] = 0xff;
    let r = parse_line(&l).unwrap();
    assert_eq!(r.text(Column::UserAgent), Some(&b"\xffa"[..]));
}

#[test]
fn malformed_lines_name_the_field() {
    let good = line("\"GET /k HTTP/1.1\"", "\"-\"", "\"ua\"", TAIL24);
    let cases: Vec<(String, Column)> = vec![
        (String::new(), Column::BucketOwner),
        (good.replace("[06/Feb/2019:00:00:38 +0000]", "[06/Feb/2019:00:00:38]"), Column::Time),
        (good.replace(" 200 ", " 2x0 "), Column::RequestUri),
        (good.replace(" 113 113 ", " 113 abc "), Column::RequestUri),
        (good[..good.find(" \"ua\"").unwrap()].to_string(), Column::UserAgent),
        (good.replacen(' ', "\t", 3), Column::Time),
        (good.replace(" AuthHeader ", " Auth\"Header "), Column::UserAgent),
        (good[..good.find(" 200 ").unwrap()].to_string(), Column::RequestUri),
    ];
    for (l, column) in cases {
        let err = parse_line(l.as_bytes()).expect_err(&l);
        assert_eq!(err.column, column, "{l}: {err}");
    }
}

#[test]
fn status_dash_and_missing_numbers() {
    let l = format!("{HEAD} \"GET /k HTTP/1.1\" - - - - - - \"-\" \"-\" {TAIL24}");
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!((r.http_status(), r.bytes_sent(), r.object_size()), (None, None, None));
}

#[test]
fn request_uri_forging_a_status_block_is_not_the_end() {
    let uri = "\"GET /a\"b.html?x=\" 500 - 1 2 3 4 \" HTTP/1.1\"";
    let l = format!("{HEAD} {uri} 404 NoSuchKey 310 - 6 - \"-\" \"ua\" {TAIL24}");
    let r = parse_line(l.as_bytes()).unwrap();
    assert_eq!(r.http_status(), Some(404));
    assert_eq!(text(&r, Column::ErrorCode), Some("NoSuchKey"));
    assert_eq!(text(&r, Column::RequestUri), Some(&uri[1..uri.len() - 1]));
}

#[test]
fn operations_are_told_by_their_shape() {
    let operations = [
        "REST.GET.OBJECT",
        "SOAP.CreateBucket",
        "S3.EXPIRE.OBJECT",
        "BATCH.DELETE.OBJECT",
        "REST.COPY.OBJECT_GET",
        "WEBSITE.GET.OBJECT",
    ];
    for op in operations {
        assert!(is_operation(op.as_bytes()), "{op}");
    }
    let near_misses = ["", ".GET", "REST.", "REST", "rest.GET", "REST.GET-OBJECT", "RÉST.GET", "3E57427F3EXAMPLE"];
    for not in near_misses {
        assert!(!is_operation(not.as_bytes()), "{not}");
    }
    for b in 0..=255u8 {
        let head_ok = b.is_ascii_uppercase() || b.is_ascii_digit();
        let rest_ok = b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        assert_eq!(is_operation(&[b, b'.', b'X']), head_ok, "{b:#x} before the dot");
        assert_eq!(is_operation(&[b'X', b'.', b, b'Y']), rest_ok, "{b:#x} after the dot");
    }
}
