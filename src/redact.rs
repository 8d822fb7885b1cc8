//! Redaction of the secrets that request URIs carry: presigned-URL signatures
//! and STS session tokens are logged verbatim, and a still-valid URL can be
//! replayed from a report. Every report output passes through here.

use std::borrow::Cow;

/// Query parameters whose values are secrets (compared case-insensitively).
const SECRET_PARAMS: [&str; 3] = ["X-Amz-Signature", "Signature", "X-Amz-Security-Token"];

/// What a secret value is replaced with.
pub const REDACTED: &str = "REDACTED";

fn is_secret_name(name: &str) -> bool {
    SECRET_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

fn is_value_end(c: char) -> bool {
    matches!(c, '&' | ' ' | '"' | '#' | '\'' | '>' | '<')
}

/// Replaces the value of every secret query parameter in `text` with
/// `REDACTED`; borrows when there is nothing to hide.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !text.contains('=') {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut copied = 0;
    for (eq, _) in text.match_indices('=') {
        let name_start = text[..eq].rfind(['?', '&', ' ', ';', '"']).map_or(0, |p| p + 1);
        if eq < copied || !is_secret_name(&text[name_start..eq]) {
            continue;
        }
        let value_end = text[eq + 1..].find(is_value_end).map_or(text.len(), |p| eq + 1 + p);
        if value_end == eq + 1 {
            continue;
        }
        out.push_str(&text[copied..=eq]);
        out.push_str(REDACTED);
        copied = value_end;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_tokens_are_hidden() {
        let uri = "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=deadbeef&X-Amz-Security-Token=FQoG%2Fabc HTTP/1.1";
        assert_eq!(
            redact(uri),
            "GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED HTTP/1.1"
        );
        let v2 = "GET /k?AWSAccessKeyId=AKIA&Expires=1&Signature=abc%3D&x-amz-security-token=tok";
        assert_eq!(redact(v2), "GET /k?AWSAccessKeyId=AKIA&Expires=1&Signature=REDACTED&x-amz-security-token=REDACTED");
    }

    #[test]
    fn other_text_is_untouched_and_borrowed() {
        for s in ["GET /k?versionId=1&x-id=GetObject HTTP/1.1", "no query", "MySignature=1", "Signature="] {
            assert!(matches!(redact(s), Cow::Borrowed(_)), "{s}");
        }
    }
}
