//! Posting a message to a Slack incoming webhook. The webhook URL is a
//! credential: it is read from the environment or a file, never printed, and
//! masked in every error. Delivery retries 429 (after `Retry-After`), 5xx
//! and transport failures with capped exponential backoff, a bounded number
//! of times; any other answer fails with Slack's own error text.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

/// The environment variable that holds the webhook URL.
pub const WEBHOOK_ENV: &str = "S3LOGQ_SLACK_WEBHOOK_URL";

/// A webhook URL; its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Webhook(String);

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Webhook(<secret>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("no Slack webhook: set {WEBHOOK_ENV} or pass --slack-webhook-file PATH")]
    NoWebhook,
    #[error("the Slack webhook file {path} cannot be read: {source}")]
    WebhookFile { path: String, source: std::io::Error },
    #[error("the Slack webhook is not an http(s) URL (value not shown: it is a secret)")]
    BadWebhook,
    #[error("Slack refused the message: HTTP {status} {body}")]
    Refused { status: u16, body: String },
    #[error("Slack did not take the message after {attempts} attempts; last: {last}")]
    GaveUp { attempts: u32, last: String },
}

impl Webhook {
    /// From `file` when given, else from the environment.
    pub fn locate(file: Option<&Path>) -> Result<Webhook, SlackError> {
        let url = match file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|source| SlackError::WebhookFile { path: path.display().to_string(), source })?,
            None => std::env::var(WEBHOOK_ENV).map_err(|_| SlackError::NoWebhook)?,
        };
        Webhook::new(url.trim())
    }

    pub fn new(url: &str) -> Result<Webhook, SlackError> {
        let ok = url.starts_with("https://") || url.starts_with("http://");
        if !ok || url.contains(char::is_whitespace) {
            return Err(SlackError::BadWebhook);
        }
        Ok(Webhook(url.to_string()))
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPolicy {
    pub max_attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    pub timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            max_attempts: 5,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(20),
        }
    }
}

/// What one attempt came to.
enum Attempt {
    Delivered,
    Retry { wait: Option<Duration>, reason: String },
}

/// `Retry-After` in seconds, capped by the policy.
fn retry_after(headers: &reqwest::header::HeaderMap, cap: Duration) -> Option<Duration> {
    let secs: u64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(cap))
}

async fn attempt(
    client: &reqwest::Client,
    hook: &Webhook,
    body: &str,
    policy: &DeliveryPolicy,
) -> Result<Attempt, SlackError> {
    let sent = client
        .post(&hook.0)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        // `without_url`: the URL is the credential.
        Err(e) => return Ok(Attempt::Retry { wait: None, reason: e.without_url().to_string() }),
    };
    let status = response.status();
    let wait = retry_after(response.headers(), policy.max_backoff);
    let text = response.text().await.unwrap_or_default();
    let text = text.trim().chars().take(300).collect::<String>();
    if status.is_success() {
        return Ok(Attempt::Delivered);
    }
    if status.as_u16() == 429 || status.is_server_error() {
        return Ok(Attempt::Retry { wait, reason: format!("HTTP {} {text}", status.as_u16()) });
    }
    Err(SlackError::Refused { status: status.as_u16(), body: text })
}

/// Posts `payload`; returns how many attempts it took.
pub async fn post(hook: &Webhook, payload: &Value, policy: &DeliveryPolicy) -> Result<u32, SlackError> {
    let client = reqwest::Client::builder()
        .timeout(policy.timeout)
        .build()
        .map_err(|e| SlackError::GaveUp { attempts: 0, last: e.without_url().to_string() })?;
    let body = payload.to_string();
    let mut backoff = policy.first_backoff;
    let mut last = String::new();
    for n in 1..=policy.max_attempts.max(1) {
        match attempt(&client, hook, &body, policy).await? {
            Attempt::Delivered => return Ok(n),
            Attempt::Retry { wait, reason } => {
                last = reason;
                if n < policy.max_attempts {
                    tokio::time::sleep(wait.unwrap_or(backoff)).await;
                    backoff = (backoff * 2).min(policy.max_backoff);
                }
            }
        }
    }
    Err(SlackError::GaveUp { attempts: policy.max_attempts.max(1), last })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_never_shows() {
        let hook = Webhook::new("https://hooks.slack.com/services/T0/B0/SECRET").unwrap();
        assert_eq!(format!("{hook:?}"), "Webhook(<secret>)");
        let err = Webhook::new("hooks.slack.com/services/T0/B0/SECRET").unwrap_err().to_string();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn webhook_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hook");
        std::fs::write(&file, "https://hooks.slack.com/services/T0/B0/X\n").unwrap();
        assert!(Webhook::locate(Some(&file)).is_ok());
        let missing = Webhook::locate(Some(&dir.path().join("none"))).unwrap_err();
        assert!(matches!(missing, SlackError::WebhookFile { .. }));
    }
}
