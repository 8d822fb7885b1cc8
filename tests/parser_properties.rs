//! Properties of the record parser: it never panics, whatever the bytes, and
//! a record rendered from valid field values parses back to those values.
//! The same holds for whole chunks turned into every column: each line is a
//! row or a rejected line, and a valid record is always a row.

#[path = "support/parcel.rs"]
mod parcel;

use parcel::rows_of_parcel;
use proptest::prelude::*;
use s3logq::chunk::Chunk;
use s3logq::parse::{LogRecord, parse_line};
use s3logq::schema::Column;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The values of one record, as a writer of the log would hold them.
#[derive(Debug, Clone)]
struct Fields {
    epoch: i64,
    offset_minutes: i64,
    text: Vec<Option<String>>, // the 27 fields; time/ints rendered from their own values
    status: Option<i32>,
    numbers: [Option<i64>; 4],
    field_count: usize,
    extra: Option<String>,
}

fn opt<T: std::fmt::Debug + Clone + 'static>(s: impl Strategy<Value = T> + 'static) -> BoxedStrategy<Option<T>> {
    prop_oneof![1 => Just(None), 4 => s.prop_map(Some)].boxed()
}

fn word(pattern: &'static str) -> BoxedStrategy<String> {
    proptest::string::string_regex(pattern).unwrap().boxed()
}

fn fields() -> impl Strategy<Value = Fields> {
    let head = (
        word("[0-9a-f]{64}"),
        word("[a-z0-9][a-z0-9.-]{2,20}"),
        0i64..4_102_444_800,
        -720i64..=840,
        opt(word("([0-9]{1,3}\\.){3}[0-9]{1,3}|2001:db8::[0-9a-f]{1,4}")),
        opt(prop_oneof![
            word("arn:aws:iam::[0-9]{12}:user/[A-Za-z0-9+=,.@_-]{1,20}"),
            word("arn:aws:sts::[0-9]{12}:assumed-role/[A-Za-z0-9_-]{1,10}/[A-Za-z0-9_.@-]{1,20}"),
            word("[0-9a-f]{64}"),
            Just("arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE".to_string()),
            Just("svc:delivery.logs.amazonaws.com".to_string()),
        ]),
        word("[A-Z0-9]{16}"),
        prop_oneof![
            word("REST\\.(GET|PUT|HEAD|DELETE)\\.[A-Z_]{3,12}"),
            word("S3\\.EXPIRE\\.OBJECT"),
            word("SOAP\\.[A-Za-z]{4,12}")
        ],
        opt(word("[A-Za-z0-9/%+._*!'()=@:-]{1,40}")),
    );
    let middle = (
        opt(word("(GET|PUT|HEAD|POST|DELETE) /[A-Za-z0-9/%+._*!'()=@:\"?&-]{0,60} HTTP/1\\.[01]")),
        opt(100i32..600),
        opt(word("[A-Za-z]{5,25}")),
        [opt(0i64..10_000_000_000), opt(0i64..10_000_000_000), opt(0i64..100_000), opt(0i64..100_000)],
        opt(word("[ -~]{1,50}").prop_filter(
            // Referer and User-Agent are split at the first `" "` between them:
            // a referer that makes one earlier is ambiguous by nature.
            "not a dash, no quote-space-quote before its end",
            |r| r != "-" && format!("{r}\" \"").find("\" \"") == Some(r.len()),
        )),
        opt(word("[ -~]{1,80}").prop_filter("not a dash", |u| u != "-")),
    );
    let tail = (
        opt(word("[A-Za-z0-9._]{8,32}")),
        opt(word("[A-Za-z0-9+/]{20,76}=?")),
        opt(prop_oneof![Just("SigV2".to_string()), Just("SigV4".to_string())]),
        opt(word("[A-Z0-9_-]{6,30}")),
        opt(prop_oneof![Just("AuthHeader".to_string()), Just("QueryString".to_string())]),
        opt(word("[a-z0-9.-]{3,40}")),
        opt(word("TLS[vV]1\\.[0-3]")),
        opt(word("arn:aws:s3:[a-z]{2}-[a-z]+-[1-9]:[0-9]{12}:accesspoint/[a-z0-9-]{1,20}")),
        opt(Just("Yes".to_string())),
        opt(word("[a-z]{2}-[a-z]+-[1-9]")),
    );
    let shape =
        (prop_oneof![Just(18usize), Just(24), Just(25), Just(26), Just(27)], opt(word("[A-Za-z0-9=:\" -]{1,30}")));
    (head, middle, tail, shape).prop_map(|(h, m, t, (field_count, extra))| {
        let mut text: Vec<Option<String>> = vec![None; 27];
        text[0] = Some(h.0);
        text[1] = Some(h.1);
        text[3] = h.4;
        text[4] = h.5;
        text[5] = Some(h.6);
        text[6] = Some(h.7);
        text[7] = h.8;
        text[8] = m.0;
        text[10] = m.2;
        text[15] = m.4;
        text[16] = m.5;
        let tail = [t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9];
        for (i, v) in tail.into_iter().enumerate() {
            if 17 + i < field_count {
                text[17 + i] = v;
            }
        }
        // A value written `-` is null by definition.
        let text = text.into_iter().map(|v| v.filter(|s| s != "-")).collect();
        let extra =
            extra.filter(|e| field_count == 27 && !e.starts_with(' ') && !e.ends_with(' ') && !e.contains("  "));
        Fields { epoch: h.2, offset_minutes: h.3, text, status: m.1, numbers: m.3, field_count, extra }
    })
}

fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn render_time(epoch: i64, offset_minutes: i64) -> String {
    let local = epoch + offset_minutes * 60;
    let (y, m, d) = civil(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.abs();
    format!(
        "[{d:02}/{}/{y:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}]",
        MONTHS[m as usize - 1],
        s / 3600,
        s % 3600 / 60,
        s % 60,
        off / 60,
        off % 60
    )
}

fn render(f: &Fields) -> String {
    let bare = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let quoted = |v: &Option<String>| v.as_ref().map_or_else(|| "\"-\"".into(), |v| format!("\"{v}\""));
    let num = |v: Option<i64>| v.map_or_else(|| "-".into(), |v| v.to_string());
    let t = &f.text;
    let mut parts = vec![
        bare(&t[0]),
        bare(&t[1]),
        render_time(f.epoch, f.offset_minutes),
        bare(&t[3]),
        bare(&t[4]),
        bare(&t[5]),
        bare(&t[6]),
        bare(&t[7]),
        quoted(&t[8]),
    ];
    parts.push(f.status.map_or_else(|| "-".into(), |s| s.to_string()));
    parts.push(bare(&t[10]));
    parts.extend(f.numbers.iter().map(|n| num(*n)));
    parts.extend([quoted(&t[15]), quoted(&t[16])]);
    parts.extend(t[17..f.field_count].iter().map(bare));
    parts.extend(f.extra.clone());
    parts.join(" ")
}

fn text(r: &LogRecord<'_>, c: Column) -> Option<String> {
    r.text(c).map(|b| String::from_utf8(b.to_vec()).unwrap())
}

/// One line of a chunk: a valid record (`true`), or bytes that may be
/// anything but a line break, a damaged record among them.
fn chunk_line() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let any_bytes = proptest::collection::vec(any::<u8>().prop_filter("not a line break", |b| *b != b'\n'), 0..300);
    let damaged = (fields(), 0usize..700, proptest::collection::vec(any::<u8>(), 0..4)).prop_map(|(f, cut, junk)| {
        let mut line = render(&f).into_bytes();
        let at = cut.min(line.len());
        line.splice(at..at, junk.into_iter().filter(|b| *b != b'\n'));
        line
    });
    prop_oneof![
        3 => fields().prop_map(|f| (render(&f).into_bytes(), true)),
        1 => any_bytes.prop_map(|b| (b, false)),
        1 => damaged.prop_map(|b| (b, false)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every column of a parcel of up to 300 lines (several runs of rows),
    /// cut into chunks at random lines and parsed into one batch, whatever
    /// its bytes: in a debug build every text column is also checked in
    /// full by Arrow's own validation when it is finished.
    #[test]
    fn every_line_of_a_parcel_is_a_row_or_a_rejected_line(
        lines in proptest::collection::vec(chunk_line(), 0..300),
        cuts in proptest::collection::vec(0usize..300, 0..4),
    ) {
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(lines.len())).chain([0, lines.len()]).collect();
        bounds.sort_unstable();
        bounds.dedup();
        let chunks: Vec<Chunk> = bounds
            .windows(2)
            .map(|w| {
                let mut data = Vec::new();
                for (line, _) in &lines[w[0]..w[1]] {
                    data.extend_from_slice(line);
                    data.push(b'\n');
                }
                Chunk::new("chunk.log".into(), w[0] as u64 + 1, data.into())
            })
            .collect();
        let rows = rows_of_parcel(&chunks);
        for (number, (line, valid)) in (1..).zip(&lines) {
            prop_assert!(!valid || rows.contains(&number), "line {} is a valid record: {}", number, String::from_utf8_lossy(line));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_line(&bytes);
    }

    #[test]
    fn never_panics_on_damaged_records(f in fields(), cut in 0usize..700, junk in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut line = render(&f).into_bytes();
        let at = cut.min(line.len());
        line.splice(at..at, junk);
        let _ = parse_line(&line);
        line.truncate(at);
        let _ = parse_line(&line);
    }

    #[test]
    fn rendered_records_parse_back(f in fields()) {
        let line = render(&f);
        let r = parse_line(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {line}")))?;
        prop_assert_eq!(r.time, f.epoch * 1_000_000, "{}", line);
        prop_assert_eq!(r.http_status(), f.status);
        prop_assert_eq!([r.bytes_sent(), r.object_size(), r.total_time_ms(), r.turn_around_time_ms()], f.numbers);
        prop_assert_eq!(r.field_count, f.field_count, "{}", line);
        for (i, c) in Column::ALL[..27].iter().enumerate() {
            if matches!(i, 2 | 9 | 11..=14) {
                continue;
            }
            prop_assert_eq!(text(&r, *c), f.text[i].clone(), "{} in {}", c.name(), line);
        }
        prop_assert_eq!(r.extra_fields.map(|e| String::from_utf8(e.to_vec()).unwrap()), f.extra);
    }
}
