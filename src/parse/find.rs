//! Byte search for the short spans between separators. Most fields are a few
//! to a few dozen bytes long, and at that size a call into `memchr` (runtime
//! dispatch, vector set-up) costs more than the search itself; this looks at
//! eight bytes at a time in a register and inlines into the parser. Long
//! scans (a quoted field's closing quote) still use `memchr`. A run of
//! fields read one after another takes its separators from a bitmap of 64
//! bytes at a time ([`SeparatorMap`]).

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of each byte of `word` equal to the byte of `pattern`; the
/// lowest one is exact (borrows only run upwards from a match).
#[inline]
fn matches(word: u64, pattern: u64) -> u64 {
    let x = word ^ pattern;
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Position of the first byte of `hay` equal to `a` or `b`.
#[inline]
pub fn either(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let (pattern_a, pattern_b) = (ONES * u64::from(a), ONES * u64::from(b));
    let (words, rest) = hay.as_chunks::<8>();
    for (n, word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*word);
        let flagged = matches(word, pattern_a) | matches(word, pattern_b);
        if flagged != 0 {
            return Some(n * 8 + (flagged.trailing_zeros() / 8) as usize);
        }
    }
    let tail = words.len() * 8;
    rest.iter().position(|x| *x == a || *x == b).map(|p| tail + p)
}

/// Position of the first `needle` in `hay`.
#[inline]
pub fn byte(needle: u8, hay: &[u8]) -> Option<usize> {
    either(needle, needle, hay)
}

/// Position of the first space in `hay`.
#[inline]
pub fn space(hay: &[u8]) -> Option<usize> {
    byte(b' ', hay)
}

/// Bit `i` set where byte `i` of the first 64 bytes of `hay` is a space or
/// `OTHER`.
#[inline]
fn block_map<const OTHER: u8>(hay: &[u8]) -> u64 {
    match hay.first_chunk::<64>() {
        Some(block) => block_bits::<OTHER>(block),
        None => {
            // Zero bytes are neither, so padding adds no bits.
            let mut block = [0u8; 64];
            block[..hay.len()].copy_from_slice(hay);
            block_bits::<OTHER>(&block)
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn block_bits<const OTHER: u8>(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    let (chunks, _) = block.as_chunks::<16>();
    let mut bits = 0u64;
    for (n, chunk) in chunks.iter().enumerate() {
        // SAFETY: SSE2 is part of every x86-64 CPU, and the load reads the
        // 16 bytes of `chunk`.
        let matched = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let space = _mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8));
            let other = _mm_cmpeq_epi8(v, _mm_set1_epi8(OTHER as i8));
            _mm_movemask_epi8(_mm_or_si128(space, other))
        };
        bits |= u64::from(matched as u16) << (16 * n);
    }
    bits
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block_bits<const OTHER: u8>(block: &[u8; 64]) -> u64 {
    block.iter().enumerate().fold(0, |bits, (i, b)| bits | u64::from(*b == b' ' || *b == OTHER) << i)
}

/// Where the separators (spaces, and `OTHER`) of a slice are, found 64 bytes
/// at a time as a parser moves along it, so that fields read one after
/// another take their ends from one bitmap instead of a search each.
pub struct SeparatorMap<'a, const OTHER: u8> {
    s: &'a [u8],
    /// Where the bitmap starts (a multiple of 64).
    block: usize,
    /// The separators in `s[block..block + 64]`.
    bits: u64,
}

/// The spaces of a line: what separates the fields before the Request-URI.
pub type Spaces<'a> = SeparatorMap<'a, b' '>;

/// Spaces and double quotes: what ends a bare word after a quoted field.
pub type SpacesAndQuotes<'a> = SeparatorMap<'a, b'"'>;

impl<'a, const OTHER: u8> SeparatorMap<'a, OTHER> {
    pub fn new(s: &'a [u8]) -> Self {
        SeparatorMap { s, block: 0, bits: block_map::<OTHER>(s) }
    }

    /// The first separator not yet passed over with [`Self::take`], or the
    /// end of the slice: for reading words one after another.
    #[inline(always)]
    pub fn next(&mut self) -> usize {
        self.first_of(self.bits)
    }

    /// Passes over the separator that [`Self::next`] found.
    #[inline(always)]
    pub fn take(&mut self) {
        self.bits &= self.bits.wrapping_sub(1);
    }

    /// The first separator at or after `pos`, or the end of the slice, for
    /// any `pos`, earlier ones included (not to be mixed with
    /// [`Self::take`]).
    #[inline]
    pub fn next_at(&mut self, pos: usize) -> usize {
        if pos >= self.s.len() {
            return self.s.len();
        }
        if pos < self.block || pos >= self.block + 64 {
            self.block = pos & !63;
            self.bits = block_map::<OTHER>(&self.s[self.block..]);
        }
        self.first_of(self.bits & (u64::MAX << (pos - self.block)))
    }

    /// The position of the lowest of `bits` (of the current block), or of
    /// the first separator of the blocks after it.
    #[inline(always)]
    fn first_of(&mut self, mut bits: u64) -> usize {
        while bits == 0 {
            if self.block + 64 >= self.s.len() {
                return self.s.len();
            }
            self.block += 64;
            self.bits = block_map::<OTHER>(&self.s[self.block..]);
            bits = self.bits;
        }
        self.block + bits.trailing_zeros() as usize
    }

    /// How many bytes of `rest`, which must end where the slice ends, come
    /// before its first separator (all of them if it has none).
    #[inline]
    pub fn word_len(&mut self, rest: &[u8]) -> usize {
        debug_assert_eq!(rest.as_ptr_range().end, self.s.as_ptr_range().end, "not a suffix of the slice");
        let start = self.s.len() - rest.len();
        self.next_at(start) - start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_match_at_every_position_and_length() {
        for len in 0..40 {
            for at in 0..len {
                let mut hay = vec![b'a'; len];
                hay[at] = b' ';
                if at + 2 < len {
                    hay[at + 2] = b' ';
                }
                assert_eq!(space(&hay), Some(at), "len {len} at {at}");
            }
            assert_eq!(space(&vec![b'a'; len]), None);
        }
    }

    #[test]
    fn high_bytes_and_neighbours_are_not_matches() {
        // 0x20 + 0x80 and bytes one above/below the needle must not match.
        let hay = [0xa0, 0x21, 0x1f, 0xff, 0x00, 0x80, 0xe2, 0x9c, b'"', b' '];
        assert_eq!(space(&hay), Some(9));
        assert_eq!(byte(b'"', &hay), Some(8));
        assert_eq!(byte(0x00, &hay), Some(4));
    }

    proptest::proptest! {
        #[test]
        fn separator_bits_agree_with_a_plain_search(hay in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100)) {
            let expected = hay.iter().take(64).enumerate().fold(0u64, |bits, (i, b)| bits | u64::from(*b == b' ' || *b == b'"') << i);
            proptest::prop_assert_eq!(block_map::<b'"'>(&hay), expected);
        }

        #[test]
        fn spaces_agree_with_a_plain_search_from_any_suffix(
            line in proptest::collection::vec(proptest::prop_oneof![6 => proptest::prelude::Just(b'a'), 1 => proptest::prelude::Just(b' ')], 0..300),
            starts in proptest::collection::vec(0usize..310, 1..12),
        ) {
            let mut spaces = Spaces::new(&line);
            for start in starts {
                let rest = &line[start.min(line.len())..];
                proptest::prop_assert_eq!(spaces.word_len(rest), rest.iter().position(|b| *b == b' ').unwrap_or(rest.len()));
            }
        }

        #[test]
        fn agrees_with_a_plain_search(hay in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), needle: u8) {
            proptest::prop_assert_eq!(byte(needle, &hay), hay.iter().position(|b| *b == needle));
            proptest::prop_assert_eq!(either(needle, b'"', &hay), hay.iter().position(|b| *b == needle || *b == b'"'));
        }
    }
}
