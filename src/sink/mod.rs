//! Where results leave the process: the Slack incoming webhook.

pub mod slack;
