//! One `Utf8View` column written view by view. Arrow's `StringViewBuilder`
//! spends more per value than the parser spends finding it (block lookup,
//! re-slicing, a call per value); here a value is one `u128` pushed onto a
//! vector: bytes of 12 or fewer are inlined, longer ones point into the chunk
//! the record came from, the file name, or a small buffer of copied values.
//! One column holds the records of several chunks (small files are parsed
//! a parcel at a time into one batch), each chunk's values pointing into
//! its own buffer and the file names into one buffer for the batch: a
//! parcel of small files has hundreds of chunks, and every operator that
//! handles a column clones and drops its list of buffers.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringViewArray};
use datafusion::arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};

/// The buffer of a column's copied values; the batch's file names follow
/// it, then one buffer per chunk (see [`TextSource::new`]).
const COPIES_BLOCK: u32 = 0;
/// The file names of a batch's chunks ([`SourceNames`]).
const NAMES_BLOCK: u32 = 1;
/// The first chunk's buffer.
const FIRST_CHUNK_BLOCK: u32 = 2;

/// Values up to this long live in the view itself.
const MAX_INLINE: usize = 12;

/// By value length (capped at [`MAX_INLINE`]): the bytes of a view's first
/// four value bytes that belong to the value...
const HEAD_MASKS: [u64; MAX_INLINE + 1] = byte_masks(0, 4);
/// ...and of its next eight.
const TAIL_MASKS: [u64; MAX_INLINE + 1] = byte_masks(4, 8);

/// For each length, a mask of the bytes `from..from + width` of a value of
/// that length, as they lie in a `u64` loaded from `from`.
const fn byte_masks(from: usize, width: usize) -> [u64; MAX_INLINE + 1] {
    let mut masks = [0u64; MAX_INLINE + 1];
    let mut len = 0;
    while len <= MAX_INLINE {
        let mut byte = 0;
        while byte < width {
            if from + byte < len {
                masks[len] |= 0xff << (8 * byte);
            }
            byte += 1;
        }
        len += 1;
    }
    masks
}

/// The view of `value`, which lies at `offset` in buffer `block` when it is
/// longer than [`MAX_INLINE`].
#[inline]
fn view(value: &[u8], block: u32, offset: u32) -> u128 {
    let len = value.len();
    if len <= MAX_INLINE {
        return inline_bytes(value) << 32 | len as u128;
    }
    let prefix = value.first_chunk::<4>().map_or(0, |p| u32::from_le_bytes(*p));
    len as u128 | u128::from(prefix) << 32 | u128::from(block) << 64 | u128::from(offset) << 96
}

/// Up to 12 bytes as a little-endian integer, read with two overlapping
/// loads rather than a variable-length copy through the stack.
#[inline]
fn inline_bytes(v: &[u8]) -> u128 {
    let len = v.len();
    let at = |shift_bytes: usize, x: u128| x << (8 * shift_bytes);
    let u32_at = |c: Option<&[u8; 4]>| c.map_or(0, |c| u128::from(u32::from_le_bytes(*c)));
    match len {
        0 => 0,
        1..=3 => u128::from(v[0]) | at(len / 2, u128::from(v[len / 2])) | at(len - 1, u128::from(v[len - 1])),
        4..=7 => u32_at(v.first_chunk::<4>()) | at(len - 4, u32_at(v.last_chunk::<4>())),
        _ => {
            let head = v.first_chunk::<8>().map_or(0, |c| u128::from(u64::from_le_bytes(*c)));
            head | at(len - 4, u32_at(v.last_chunk::<4>()))
        }
    }
}

/// The file names of a batch's chunks, one after another in one buffer:
/// block [`NAMES_BLOCK`] of its text columns.
#[derive(Default)]
pub struct SourceNames {
    bytes: Vec<u8>,
    /// Where the name added last starts (it runs to the end).
    last: Option<usize>,
}

impl SourceNames {
    /// The view of `name`, added unless it is the name added last (the
    /// chunks of one file).
    fn view(&mut self, name: &str) -> u128 {
        let start = match self.last {
            Some(start) if &self.bytes[start..] == name.as_bytes() => start,
            _ => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(name.as_bytes());
                self.last = Some(start);
                start
            }
        };
        view(name.as_bytes(), NAMES_BLOCK, start as u32)
    }

    /// The buffer of the names, to come first in the blocks given to
    /// [`TextColumn::finish`].
    pub fn finish(self) -> Buffer {
        Buffer::from_vec(self.bytes)
    }
}

/// Where the text values of one chunk's records live: the chunk (each line
/// checked for UTF-8 before any view points into it), and the file name in
/// the batch's [`SourceNames`].
pub struct TextSource {
    chunk: Buffer,
    /// The chunk's block in the batch's columns.
    chunk_block: u32,
    /// The file name's view, the same on every row.
    source_view: u128,
}

impl TextSource {
    /// The text of the `index`th chunk of a batch, named `source`, whose
    /// views point at block `2 + index`: the blocks given to
    /// [`TextColumn::finish`] are to be the batch's names, then its chunks
    /// in order.
    pub fn new(chunk: &Buffer, source: &str, index: u32, names: &mut SourceNames) -> Self {
        let source_view = names.view(source);
        TextSource { chunk: chunk.clone(), chunk_block: FIRST_CHUNK_BLOCK + index, source_view }
    }

    /// The view of `value` when it is a slice of the chunk with 12 bytes of
    /// the chunk from its start: the same two loads give an inline value
    /// and a long one's prefix, masked by length from a table and chosen
    /// between with a mask rather than a branch on the length (which varies
    /// from row to row and would be mispredicted).
    #[inline]
    fn chunk_view(&self, value: &[u8]) -> Option<u128> {
        let chunk = self.chunk.as_slice();
        let offset = self.distance_from_chunk(value);
        let loaded = chunk.get(offset..offset.checked_add(MAX_INLINE)?)?;
        if value.len() > chunk.len() - offset {
            return None;
        }
        let (head, tail) = (loaded.first_chunk::<8>()?, loaded.last_chunk::<8>()?);
        let len = value.len();
        let kept = len.min(MAX_INLINE);
        // Low half: length, then the first four bytes (all of them but an
        // inline value's padding).
        let low = len as u64 | (u64::from_le_bytes(*head) & HEAD_MASKS[kept]) << 32;
        // High half: bytes 4..12 of an inline value, or where a long one is.
        let inline = u64::from_le_bytes(*tail) & TAIL_MASKS[kept];
        let pointed = u64::from(self.chunk_block) | (offset as u64) << 32;
        let inline_mask = 0u64.wrapping_sub(u64::from(len <= MAX_INLINE));
        let high = inline & inline_mask | pointed & !inline_mask;
        Some(u128::from(high) << 64 | u128::from(low))
    }

    /// How far `value` starts after the chunk's start: its offset when it
    /// is a slice of the chunk, else a number past the chunk's end.
    #[inline]
    fn distance_from_chunk(&self, value: &[u8]) -> usize {
        (value.as_ptr() as usize).wrapping_sub(self.chunk.as_ptr() as usize)
    }

    /// `value`'s offset in the chunk, when it is a slice of it.
    #[inline]
    fn offset_of(&self, value: &[u8]) -> Option<u32> {
        let chunk = self.chunk.as_slice();
        let offset = self.distance_from_chunk(value);
        (offset <= chunk.len() && value.len() <= chunk.len() - offset).then_some(offset as u32)
    }
}

/// Set in the length of a null's view while a column is built, so that
/// appending a value is one store whether or not it is null (rather than a
/// read-modify-write of a validity bit as well); [`take_nulls`] turns the
/// flags into the null mask. No value is 2 GiB long, so no length has it.
const NULL_FLAG: u128 = 1 << 31;

/// Clears the null flags of `views` (a null's view becomes all zeros, as
/// Arrow expects) and returns the null mask, or `None` when every value is
/// valid.
fn take_nulls(views: &mut [u128]) -> Option<NullBuffer> {
    // Read every view, write only the nulls' views: most values are valid,
    // and rewriting them all would send the whole column through the cache
    // again.
    let mut words = Vec::with_capacity(views.len().div_ceil(64));
    for group in views.chunks_mut(64) {
        let valid = group.iter().enumerate().fold(0u64, |w, (bit, v)| w | u64::from(v & NULL_FLAG == 0) << bit);
        let mut nulls = !valid & (u64::MAX >> (64 - group.len()));
        while nulls != 0 {
            group[nulls.trailing_zeros() as usize] = 0;
            nulls &= nulls - 1;
        }
        words.push(valid.to_le());
    }
    let mask = NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(words), 0, views.len()));
    (mask.null_count() > 0).then_some(mask)
}

pub struct TextColumn {
    /// Views, nulls flagged with [`NULL_FLAG`] until `finish`.
    views: Vec<u128>,
    copies: Vec<u8>,
}

/// The view of `value`, flagged when it is a null. A null is an empty view
/// at the chunk's start (an all-zero view), so that it takes the same path
/// as a value.
#[inline(always)]
fn view_of(value: Option<&[u8]>, text: &TextSource, copies: &mut Vec<u8>) -> u128 {
    let null_flag = NULL_FLAG * u128::from(value.is_none());
    let value = value.unwrap_or(&text.chunk.as_slice()[..0]);
    let view = match text.chunk_view(value) {
        Some(view) => view,
        None => view_outside_chunk(value, text, copies),
    };
    view | null_flag
}

/// The view of a value that is not in the chunk (or too near its end for
/// [`TextSource::chunk_view`]): inlined, pointing into the chunk, or copied
/// onto `copies`.
fn view_outside_chunk(value: &[u8], text: &TextSource, copies: &mut Vec<u8>) -> u128 {
    if value.len() <= MAX_INLINE {
        view(value, 0, 0)
    } else if let Some(offset) = text.offset_of(value) {
        view(value, text.chunk_block, offset)
    } else {
        let offset = copies.len() as u32;
        copies.extend_from_slice(value);
        view(value, COPIES_BLOCK, offset)
    }
}

impl TextColumn {
    pub fn with_capacity(rows: usize) -> Self {
        TextColumn { views: Vec::with_capacity(rows), copies: vec![] }
    }

    /// The file name, once for each of `rows` records.
    pub fn extend_source(&mut self, rows: usize, text: &TextSource) {
        self.views.resize(self.views.len() + rows, text.source_view);
    }

    /// Values that are valid UTF-8, one per row: each a view into the chunk
    /// when it is a slice of the chunk, else inlined or copied. Written in
    /// one loop, with room made once.
    #[inline(always)]
    pub fn extend<'v>(&mut self, values: impl Iterator<Item = Option<&'v [u8]>>, text: &TextSource) {
        let copies = &mut self.copies;
        self.views.extend(values.map(|value| view_of(value, text, copies)));
    }

    /// One value, as [`TextColumn::extend`] appends it (the tests'
    /// shorthand).
    #[cfg(test)]
    pub fn append(&mut self, value: Option<&[u8]>, text: &TextSource) {
        self.extend(std::iter::once(value), text);
    }

    /// The column, pointing into `blocks`: the batch's [`SourceNames`],
    /// then the buffer of each chunk it was filled from, in order (the
    /// names alone for a column that holds no value of a chunk).
    pub fn finish(mut self, blocks: &[Buffer]) -> ArrayRef {
        let nulls = take_nulls(&mut self.views);
        let copies = Buffer::from_vec(self.copies);
        let buffers: Vec<Buffer> = std::iter::once(copies).chain(blocks.iter().cloned()).collect();
        let views = ScalarBuffer::from(self.views);
        // SAFETY: every view was made by `view` over bytes that are valid
        // UTF-8 (a view into the chunk lies in a line that was validated
        // before it was parsed, and fields end next to ASCII delimiters; a
        // line that was not valid is repaired into a copy; copies and the
        // file name are `str`s), lying at the stated offset of the stated
        // buffer, and there is one null-mask bit per view.
        let array = unsafe { StringViewArray::new_unchecked(views, buffers, nulls) };
        #[cfg(debug_assertions)]
        if let Err(e) = datafusion::arrow::array::Array::to_data(&array).validate_full() {
            panic!("invalid view column: {e}");
        }
        Arc::new(array)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::Array;

    use super::*;

    /// The text source of `chunk`, named `name`, and the blocks of a batch
    /// of it alone.
    fn alone(chunk: &Buffer, name: &str) -> (TextSource, [Buffer; 2]) {
        let mut names = SourceNames::default();
        let text = TextSource::new(chunk, name, 0, &mut names);
        (text, [names.finish(), chunk.clone()])
    }

    #[test]
    fn views_point_at_chunk_source_copies_or_inline_bytes() {
        let chunk = Buffer::from("short a value longer than twelve bytes".as_bytes());
        let (text, blocks) = alone(&chunk, "s3://bucket/a/long/object/key");
        let mut column = TextColumn::with_capacity(4);
        let bytes = chunk.as_slice();
        column.append(Some(&bytes[..5]), &text);
        column.append(Some(&bytes[8..]), &text);
        column.append(None, &text);
        column.extend_source(1, &text);
        column.append(Some("canonical_user".as_bytes()), &text);
        column.append(Some("iam_user".as_bytes()), &text);
        let array = column.finish(&blocks);
        let strings = array.as_any().downcast_ref::<StringViewArray>().unwrap();
        let values: Vec<Option<&str>> = strings.iter().collect();
        assert_eq!(
            values,
            [
                Some("short"),
                Some("value longer than twelve bytes"),
                None,
                Some("s3://bucket/a/long/object/key"),
                Some("canonical_user"),
                Some("iam_user")
            ]
        );
        assert_eq!(
            strings.data_buffers()[COPIES_BLOCK as usize].len(),
            "canonical_user".len(),
            "only the long outside value is copied"
        );
    }

    #[test]
    fn the_values_of_several_chunks_point_into_their_own_chunk_and_one_buffer_of_names() {
        let names = ["s3://bucket/first/object/key", "s3://bucket/second/object/key", "s3://bucket/second/object/key"];
        let chunks =
            ["first chunk, a value longer than twelve bytes", "second chunk, another long value", "third chunk"];
        let chunks: Vec<Buffer> = chunks.iter().map(|c| Buffer::from(c.as_bytes())).collect();
        let mut source_names = SourceNames::default();
        let sources: Vec<TextSource> =
            (0..3).map(|i| TextSource::new(&chunks[i], names[i], i as u32, &mut source_names)).collect();
        let mut column = TextColumn::with_capacity(9);
        for text in &sources {
            let bytes = text.chunk.as_slice();
            let first_word = bytes.iter().position(|&b| b == b' ').unwrap();
            column.append(Some(&bytes[(first_word + 8).min(bytes.len())..]), text);
            column.append(Some(&bytes[..first_word]), text);
            column.extend_source(1, text);
        }
        let names_buffer = source_names.finish();
        assert_eq!(
            names_buffer.as_slice(),
            (names[0].to_owned() + names[1]).as_bytes(),
            "a file's chunks share its name"
        );
        let blocks: Vec<Buffer> = std::iter::once(names_buffer).chain(chunks).collect();
        let array = column.finish(&blocks);
        let strings = array.as_any().downcast_ref::<StringViewArray>().unwrap();
        let values: Vec<&str> = strings.iter().flatten().collect();
        assert_eq!(
            values,
            [
                "a value longer than twelve bytes",
                "first",
                names[0],
                "another long value",
                "second",
                names[1],
                "",
                "third",
                names[2]
            ]
        );
        let block_of = |row: usize| (strings.views()[row] >> 64) as u32;
        assert_eq!([0, 2, 3, 5, 8].map(block_of), [2, 1, 3, 1, 1], "each chunk's own block, every name in the names'");
        assert_eq!(strings.data_buffers().len(), 5, "the copies, the names and three chunks");
    }

    #[test]
    fn a_column_of_file_names_needs_only_the_names() {
        let chunks = ["a chunk of one file", "a chunk of another"].map(|c| Buffer::from(c.as_bytes()));
        let names = ["s3://bucket/one/long/object/key", "s3://bucket/another/long/object/key"];
        let mut source_names = SourceNames::default();
        let mut column = TextColumn::with_capacity(3);
        for (i, chunk) in chunks.iter().enumerate() {
            column.extend_source(i + 1, &TextSource::new(chunk, names[i], i as u32, &mut source_names));
        }
        let array = column.finish(&[source_names.finish()]);
        let strings = array.as_any().downcast_ref::<StringViewArray>().unwrap();
        assert_eq!(strings.iter().flatten().collect::<Vec<_>>(), [names[0], names[1], names[1]]);
        assert_eq!(strings.data_buffers().len(), 2);
    }

    #[test]
    fn nulls_land_on_their_rows_across_mask_words() {
        let chunk = Buffer::from("a value longer than twelve bytes, then more".as_bytes());
        let (text, blocks) = alone(&chunk, "f");
        let null_rows = [0, 63, 64, 129];
        let mut column = TextColumn::with_capacity(130);
        for row in 0..130 {
            column.append((!null_rows.contains(&row)).then_some(&chunk.as_slice()[2..30]), &text);
        }
        let array = column.finish(&blocks);
        assert_eq!(array.null_count(), null_rows.len());
        let nulls: Vec<usize> = (0..130).filter(|r| array.is_null(*r)).collect();
        assert_eq!(nulls, null_rows);
        let strings = array.as_any().downcast_ref::<StringViewArray>().unwrap();
        assert_eq!(strings.value(1), "value longer than twelve byt");
        assert!(null_rows.iter().all(|r| strings.views()[*r] == 0), "a null's view is all zeros");

        let mut all_valid = TextColumn::with_capacity(64);
        (0..64).for_each(|_| all_valid.append(Some(&chunk.as_slice()[..1]), &text));
        all_valid.append(Some(&chunk.as_slice()[..0]), &text);
        let all_valid = all_valid.finish(&blocks);
        assert!(all_valid.nulls().is_none(), "no mask without nulls");
        let strings = all_valid.as_any().downcast_ref::<StringViewArray>().unwrap();
        assert_eq!((strings.value(64), strings.views()[64]), ("", 0), "an empty value is not a null");
    }

    #[test]
    fn views_near_the_chunk_end_match_views_elsewhere() {
        let chunk = Buffer::from("0123456789abcdefghij".as_bytes());
        let (text, blocks) = alone(&chunk, "f");
        let bytes = chunk.as_slice();
        for start in 0..bytes.len() {
            for end in start..=bytes.len() {
                let mut column = TextColumn::with_capacity(1);
                column.append(Some(&bytes[start..end]), &text);
                let array = column.finish(&blocks);
                let strings = array.as_any().downcast_ref::<StringViewArray>().unwrap();
                assert_eq!(strings.value(0).as_bytes(), &bytes[start..end], "{start}..{end}");
                assert_eq!(strings.views()[0], view(&bytes[start..end], FIRST_CHUNK_BLOCK, start as u32));
            }
        }
    }

    #[test]
    fn inline_views_hold_every_length_up_to_twelve() {
        let bytes = b"abcdefghijkl";
        for len in 0..=MAX_INLINE {
            let mut expected = [0u8; 16];
            expected[..4].copy_from_slice(&(len as u32).to_le_bytes());
            expected[4..4 + len].copy_from_slice(&bytes[..len]);
            assert_eq!(view(&bytes[..len], 7, 9), u128::from_le_bytes(expected), "len {len}");
        }
    }
}
