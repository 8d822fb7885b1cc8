//! SQL functions s3logq adds to DataFusion, for what SQL cannot say well:
//! `redact(text)` hides presigned signatures and session tokens,
//! `url_param(request_uri, name)` reads one query-string parameter,
//! `signature_id(request_uri)` names a presigned URL by a hash of its
//! signature (never the signature itself), and `ip_network(ip)` gives the
//! /24 (IPv4) or /48 (IPv6) network of an address.

use std::fmt::Write;
use std::net::IpAddr;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringViewArray, StringViewBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_string_view_array;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use sha2::{Digest, Sha256};

use crate::parse::derive::{presign_signature, query_param};
use crate::redact::redact;

/// Registers s3logq's functions on `ctx`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(text_udf("redact", |text, out| {
        out.push_str(&redact(text));
        true
    }));
    ctx.register_udf(text_udf("signature_id", |uri, out| {
        presign_signature(uri.as_bytes()).map(|signature| push_signature_id(signature, out)).is_some()
    }));
    ctx.register_udf(text_udf("ip_network", push_ip_network));
    ctx.register_udf(url_param_udf());
}

/// Appends the first 16 hex digits of the SHA-256 of a signature.
pub fn push_signature_id(signature: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(signature);
    for b in digest.iter().take(8) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// Appends the network of an address, if it is one: `198.51.100.7` →
/// `198.51.100.0/24`; `2001:db8:1:2::1` → `2001:db8:1::/48`.
pub fn push_ip_network(ip: &str, out: &mut String) -> bool {
    match ip.parse::<IpAddr>() {
        // A parsed IPv4 address is four plain decimal numbers: its network is
        // its text up to the last dot.
        Ok(IpAddr::V4(_)) => match ip.rfind('.') {
            Some(dot) => {
                out.push_str(&ip[..dot]);
                out.push_str(".0/24");
                true
            }
            None => false,
        },
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            // Writing to a String cannot fail.
            let _ = write!(out, "{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]);
            true
        }
        Err(_) => false,
    }
}

fn text_arrays(args: &[ColumnarValue]) -> Result<Vec<ArrayRef>> {
    ColumnarValue::values_to_arrays(args)?.iter().map(|a| Ok(cast(a, &DataType::Utf8View)?)).collect()
}

/// A one-argument text → text function: `f` appends the value for one input
/// to a buffer reused across rows and says whether there is one (else null).
fn text_udf(name: &str, f: fn(&str, &mut String) -> bool) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Utf8View],
        DataType::Utf8View,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = text_arrays(args)?;
            let input = as_string_view_array(&arrays[0])?;
            let mut values = StringViewBuilder::with_capacity(input.len());
            let mut value = String::new();
            for text in input.iter() {
                value.clear();
                match text {
                    Some(text) if f(text, &mut value) => values.append_value(&value),
                    _ => values.append_null(),
                }
            }
            Ok(ColumnarValue::Array(Arc::new(values.finish())))
        }),
    )
}

fn url_param_udf() -> ScalarUDF {
    create_udf(
        "url_param",
        vec![DataType::Utf8View, DataType::Utf8View],
        DataType::Utf8View,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let name = match &args[1] {
                ColumnarValue::Scalar(s) => match s.try_as_str() {
                    Some(Some(n)) => n.to_string(),
                    _ => return Ok(ColumnarValue::Scalar(ScalarValue::Utf8View(None))),
                },
                ColumnarValue::Array(_) => return exec_err!("url_param: the parameter name must be a constant"),
            };
            let arrays = text_arrays(&args[..1])?;
            let uris = as_string_view_array(&arrays[0])?;
            let out: StringViewArray = (0..uris.len())
                .map(|i| uris.is_valid(i).then(|| query_param(uris.value(i).as_bytes(), name.as_bytes())).flatten())
                .map(|v| v.map(|v| String::from_utf8_lossy(v).into_owned()))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip_network(ip: &str) -> Option<String> {
        let mut out = String::new();
        push_ip_network(ip, &mut out).then_some(out)
    }

    fn signature_id(signature: &[u8]) -> String {
        let mut out = String::new();
        push_signature_id(signature, &mut out);
        out
    }

    #[test]
    fn networks_of_addresses() {
        assert_eq!(ip_network("198.51.100.7").as_deref(), Some("198.51.100.0/24"));
        assert_eq!(ip_network("2001:db8:1:2::42").as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(ip_network("10.0.0.255").as_deref(), Some("10.0.0.0/24"));
        assert_eq!(ip_network("::ffff:192.0.2.1").as_deref(), Some("0:0:0::/48"));
        assert_eq!(ip_network("010.1.2.3"), None);
        assert_eq!(ip_network("-"), None);
    }

    #[tokio::test]
    async fn functions_work_in_sql() {
        let ctx = SessionContext::new();
        register(&ctx);
        let sql = "SELECT url_param('GET /k?a=1&X-Amz-Date=2024 HTTP/1.1', 'X-Amz-Date') AS d, \
                   signature_id('GET /k?X-Amz-Credential=A&X-Amz-Signature=abc HTTP/1.1') AS s, \
                   redact('GET /k?Signature=abc HTTP/1.1') AS r, ip_network('10.1.2.3') AS n";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        assert!(text.contains("| 2024 "), "{text}");
        assert!(text.contains(&signature_id(b"abc")), "{text}");
        assert!(text.contains("GET /k?Signature=REDACTED HTTP/1.1"), "{text}");
        assert!(text.contains("10.1.2.0/24"), "{text}");
        assert_eq!(signature_id(b"abc"), "ba7816bf8f01cfea");
    }
}
