//! The set of (group, text) pairs behind the distinct-text aggregates
//! ([`super::distinct_text`]): an open-addressing hash table of 16-byte
//! slots, the texts one after another in an arena. Both outgrow the cache
//! (a slot and a text per distinct pair), and inserted one row at a time
//! every row waited on a miss for its slot, then one for the text it is
//! compared with, and hashing it waited on its text. So rows go in a block
//! at a time: each row's text is fetched into the cache a few rows before it
//! is hashed, then each row's slot a few rows before it is looked up, and
//! the text in that slot a few rows after that, so that the misses of
//! several rows overlap.

use std::hash::BuildHasher;

use datafusion::common::hash_utils::RandomState;
use datafusion::common::{Result, exec_datafusion_err};

/// One pair: the high half of its hash, its group, and where its text is in
/// the arena.
#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u32,
    /// [`VACANT`] for a slot that holds no pair.
    group: u32,
    /// [`NULL_START`] for a null.
    start: u32,
    len: u32,
}

/// The group of a vacant slot; no pair has it.
const VACANT: u32 = u32::MAX;

/// The start of a null, which is nowhere in the arena.
const NULL_START: u32 = u32::MAX;

const EMPTY: Slot = Slot { hash: 0, group: VACANT, start: 0, len: 0 };

/// Pairs are hashed, then inserted, this many at a time, so that a block's
/// texts are still in the cache when they are compared.
const BLOCK: usize = 256;

/// How many rows ahead a row's text is fetched to be hashed.
const HASH_AHEAD: usize = 8;

/// How many rows ahead a row's slot is fetched into the cache.
const SLOT_AHEAD: usize = 16;

/// How many rows ahead the text in a row's slot is fetched (by then the
/// slot itself has arrived).
const TEXT_AHEAD: usize = 8;

/// A pair with its hash and its group as a slot holds them.
type Hashed<'a> = (u32, u32, Option<&'a str>);

/// The fewest slots a table that holds anything has.
const MIN_SLOTS: usize = 64;

/// Distinct (group, text) pairs; a null text is a value like any other.
#[derive(Debug, Default)]
pub struct PairSet {
    /// None or a power of two of them, at most three quarters taken, so a
    /// probe always meets a vacant slot.
    slots: Vec<Slot>,
    items: usize,
    /// The texts; kept as text so that handing them on needs no second
    /// UTF-8 check.
    arena: String,
    hasher: RandomState,
}

impl PairSet {
    /// Adds each pair not yet in the set and calls `added` with its group.
    pub fn insert_all<'a>(
        &mut self,
        pairs: impl Iterator<Item = (usize, Option<&'a str>)>,
        mut added: impl FnMut(usize),
    ) -> Result<()> {
        let mut pairs = pairs.fuse();
        let mut block = Vec::with_capacity(BLOCK);
        let mut hashed = Vec::with_capacity(BLOCK);
        loop {
            block.clear();
            block.extend(pairs.by_ref().take(BLOCK));
            if block.is_empty() {
                return Ok(());
            }
            hashed.clear();
            self.hash_block(&block, &mut hashed)?;
            self.insert_block(&hashed, &mut added)?;
        }
    }

    /// Each pair's hash and group index; each text is fetched into the
    /// cache a few pairs before it is hashed.
    fn hash_block<'a>(&self, block: &[(usize, Option<&'a str>)], hashed: &mut Vec<Hashed<'a>>) -> Result<()> {
        for (row, &(group, text)) in block.iter().enumerate() {
            if let Some((_, Some(ahead))) = block.get(row + HASH_AHEAD) {
                prefetch(ahead.as_ptr());
                prefetch(ahead.as_ptr().wrapping_add(ahead.len().saturating_sub(1)));
            }
            hashed.push((self.hash(group, text), group_index(group)?, text));
        }
        Ok(())
    }

    fn insert_block(&mut self, hashed: &[Hashed<'_>], added: &mut impl FnMut(usize)) -> Result<()> {
        for (row, &(hash, group, text)) in hashed.iter().enumerate() {
            if let Some(&(ahead, _, _)) = hashed.get(row + SLOT_AHEAD) {
                self.prefetch_slot(ahead);
            }
            if let Some(&(ahead, _, _)) = hashed.get(row + TEXT_AHEAD) {
                self.prefetch_text(ahead);
            }
            if self.insert(hash, group, text)? {
                added(group as usize);
            }
        }
        Ok(())
    }

    /// Every pair, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Option<&str>)> {
        self.slots.iter().filter(|s| s.group != VACANT).map(|s| (s.group as usize, self.text(s)))
    }

    /// The bytes it holds.
    pub fn size(&self) -> usize {
        self.slots.capacity() * size_of::<Slot>() + self.arena.capacity()
    }

    fn hash(&self, group: usize, text: Option<&str>) -> u32 {
        (self.hasher.hash_one((group, text)) >> 32) as u32
    }

    /// Where a probe for `hash` starts; the table must have slots.
    fn home(&self, hash: u32) -> usize {
        hash as usize & (self.slots.len() - 1)
    }

    /// True when the pair was not there before.
    fn insert(&mut self, hash: u32, group: u32, text: Option<&str>) -> Result<bool> {
        if (self.items + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        // Ends: a quarter of the slots at least are vacant.
        loop {
            let slot = self.slots[at];
            if slot.group == VACANT {
                self.slots[at] = self.place(hash, group, text)?;
                self.items += 1;
                return Ok(true);
            }
            if slot.hash == hash && slot.group == group && self.bytes(&slot) == text.map(str::as_bytes) {
                return Ok(false);
            }
            at = (at + 1) & mask;
        }
    }

    /// A slot for a new pair, its text copied into the arena.
    fn place(&mut self, hash: u32, group: u32, text: Option<&str>) -> Result<Slot> {
        let Some(text) = text else {
            return Ok(Slot { hash, group, start: NULL_START, len: 0 });
        };
        let too_big = || exec_datafusion_err!("distinct text values: over 4 GiB of them");
        let start = u32::try_from(self.arena.len()).ok().filter(|s| *s != NULL_START).ok_or_else(too_big)?;
        let len = u32::try_from(text.len()).map_err(|_| too_big())?;
        self.arena.push_str(text);
        Ok(Slot { hash, group, start, len })
    }

    /// Twice the slots (at least [`MIN_SLOTS`]), each pair moved by its
    /// stored hash: no text is read.
    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; slots]);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.group != VACANT) {
            let mut at = self.home(slot.hash);
            while self.slots[at].group != VACANT {
                at = (at + 1) & mask;
            }
            self.slots[at] = slot;
        }
    }

    fn bytes(&self, slot: &Slot) -> Option<&[u8]> {
        (slot.start != NULL_START).then(|| &self.arena.as_bytes()[slot.start as usize..][..slot.len as usize])
    }

    fn text(&self, slot: &Slot) -> Option<&str> {
        (slot.start != NULL_START).then(|| &self.arena[slot.start as usize..][..slot.len as usize])
    }

    fn prefetch_slot(&self, hash: u32) {
        if !self.slots.is_empty() {
            prefetch(self.slots.as_ptr().wrapping_add(self.home(hash)));
        }
    }

    /// The text of the pair in `hash`'s first slot, if that pair may be the
    /// one looked for.
    fn prefetch_text(&self, hash: u32) {
        if self.slots.is_empty() {
            return;
        }
        let slot = self.slots[self.home(hash)];
        if slot.group != VACANT && slot.hash == hash && slot.start != NULL_START {
            prefetch(self.arena.as_ptr().wrapping_add(slot.start as usize));
        }
    }
}

/// A group index as a slot holds it.
fn group_index(group: usize) -> Result<u32> {
    u32::try_from(group)
        .ok()
        .filter(|g| *g != VACANT)
        .ok_or_else(|| exec_datafusion_err!("distinct text values: more than 4 billion groups"))
}

/// Asks for the cache line at `at`, without waiting for it.
#[inline(always)]
fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it reads nothing the program sees and
    // never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn pairs(set: &PairSet) -> BTreeSet<(usize, Option<String>)> {
        set.iter().map(|(g, t)| (g, t.map(str::to_owned))).collect()
    }

    #[test]
    fn keeps_each_pair_once_a_null_included_and_reports_the_new_ones() {
        let mut set = PairSet::default();
        let mut added = Vec::new();
        let rows = [(0, Some("a")), (0, Some("a")), (1, Some("a")), (0, None), (0, None), (0, Some(""))];
        set.insert_all(rows.into_iter(), |g| added.push(g)).expect("insert");
        assert_eq!(added, vec![0, 1, 0, 0]);
        let expected: BTreeSet<_> =
            [(0, Some("a".to_owned())), (1, Some("a".to_owned())), (0, None), (0, Some(String::new()))].into();
        assert_eq!(pairs(&set), expected);
    }

    /// Enough pairs to grow the table many times, each inserted twice (the
    /// second time from another batch), against a `BTreeSet`.
    #[test]
    fn agrees_with_an_ordered_set_across_growth() {
        let mut set = PairSet::default();
        let texts: Vec<String> =
            (0..5_000).map(|i| format!("logs/2026/11/{:05}-{}", i % 1_700, "x".repeat(i % 40))).collect();
        let rows: Vec<(usize, Option<&str>)> =
            texts.iter().enumerate().map(|(i, t)| (i % 7, (i % 97 != 0).then_some(t.as_str()))).collect();
        let mut added = 0;
        for batch in rows.chunks(1_000).chain(rows.chunks(333)) {
            set.insert_all(batch.iter().copied(), |_| added += 1).expect("insert");
        }
        let expected: BTreeSet<_> = rows.iter().map(|(g, t)| (*g, t.map(str::to_owned))).collect();
        assert_eq!(added, expected.len());
        assert_eq!(pairs(&set), expected);
        assert!(set.slots.len().is_power_of_two() && set.items * 4 <= set.slots.len() * 3);
    }

    #[test]
    fn a_group_index_a_slot_cannot_hold_is_an_error() {
        let mut set = PairSet::default();
        let error = set.insert_all([(u32::MAX as usize, Some("a"))].into_iter(), |_| {}).expect_err("too big");
        assert!(error.to_string().contains("more than 4 billion groups"), "{error}");
    }
}
