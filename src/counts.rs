//! Counts as people read them on a terminal, in a report's summary or in
//! Slack: digits grouped by thousands, and a noun that agrees with its
//! number. Machine-read output (JSON, CSV, table cells) keeps plain numbers.

use indicatif::HumanCount;

/// `n` and the noun, plural unless `n` is 1: "1 line", "5 lines",
/// "1,851,188 lines".
pub fn counted(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", grouped(n), if n == 1 { "" } else { "s" })
}

/// `n` with its digits in groups of three: "1,851,188" (the progress
/// bar's own `HumanCount`).
pub fn grouped(n: u64) -> String {
    HumanCount(n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        let shown = [0, 7, 999, 1000, 56_789, 1_851_188, u64::MAX].map(grouped);
        assert_eq!(shown, ["0", "7", "999", "1,000", "56,789", "1,851,188", "18,446,744,073,709,551,615"]);
        assert_eq!(counted(1_000, "line"), "1,000 lines");
        assert_eq!(counted(1, "object"), "1 object");
    }
}
