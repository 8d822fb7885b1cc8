//! One `Utf8View` column written view by view. Arrow's `StringViewBuilder`
//! spends more per value than the parser spends finding it (block lookup,
//! re-slicing, a call per value); here a value is one `u128` pushed onto a
//! vector: bytes of 12 or fewer are inlined, longer ones point into the chunk
//! the record came from, the file name, or a small buffer of copied values.

use std::sync::Arc;

use datafusion::arrow::array::builder::NullBufferBuilder;
use datafusion::arrow::array::{ArrayRef, StringViewArray};
use datafusion::arrow::buffer::{Buffer, ScalarBuffer};

/// The buffers every view column of a batch points into, by index.
const CHUNK_BLOCK: u32 = 0;
const SOURCE_BLOCK: u32 = 1;
const COPIES_BLOCK: u32 = 2;

/// Values up to this long live in the view itself.
const MAX_INLINE: usize = 12;

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

/// Where the text values of one chunk's records live: the chunk (valid
/// UTF-8, checked before any view points into it) and the file name.
pub struct TextSource {
    chunk: Buffer,
    source: Buffer,
    /// The file name's view, the same on every row.
    source_view: u128,
}

impl TextSource {
    pub fn new(chunk: &Buffer, source: &str) -> Self {
        let source_view = view(source.as_bytes(), SOURCE_BLOCK, 0);
        TextSource { chunk: chunk.clone(), source: Buffer::from(source.as_bytes()), source_view }
    }

    /// `value`'s offset in the chunk, when it is a slice of it.
    #[inline]
    fn offset_of(&self, value: &[u8]) -> Option<u32> {
        let chunk = self.chunk.as_slice();
        let offset = (value.as_ptr() as usize).wrapping_sub(chunk.as_ptr() as usize);
        (offset <= chunk.len() && value.len() <= chunk.len() - offset).then_some(offset as u32)
    }
}

pub struct TextColumn {
    views: Vec<u128>,
    nulls: NullBufferBuilder,
    copies: Vec<u8>,
}

impl TextColumn {
    pub fn with_capacity(rows: usize) -> Self {
        TextColumn { views: Vec::with_capacity(rows), nulls: NullBufferBuilder::new(rows), copies: vec![] }
    }

    #[inline]
    fn append_null(&mut self) {
        self.views.push(0);
        self.nulls.append_null();
    }

    /// The record's file name.
    #[inline]
    pub fn append_source(&mut self, text: &TextSource) {
        self.views.push(text.source_view);
        self.nulls.append_non_null();
    }

    /// A value that is valid UTF-8: a view into the chunk when it is a slice
    /// of the chunk, else inlined or copied.
    #[inline]
    pub fn append(&mut self, value: Option<&[u8]>, text: &TextSource) {
        let Some(value) = value else {
            self.append_null();
            return;
        };
        let view = if value.len() <= MAX_INLINE {
            view(value, 0, 0)
        } else if let Some(offset) = text.offset_of(value) {
            view(value, CHUNK_BLOCK, offset)
        } else {
            let offset = self.copies.len() as u32;
            self.copies.extend_from_slice(value);
            view(value, COPIES_BLOCK, offset)
        };
        self.views.push(view);
        self.nulls.append_non_null();
    }

    /// The column, pointing into the buffers of `text`, the source it was
    /// filled from.
    pub fn finish(mut self, text: &TextSource) -> ArrayRef {
        let buffers = vec![text.chunk.clone(), text.source.clone(), Buffer::from_vec(self.copies)];
        let views = ScalarBuffer::from(self.views);
        // SAFETY: every view was made by `view` over bytes that are valid
        // UTF-8 (the chunk was validated and fields end next to ASCII
        // delimiters; copies and the file name are `str`s), lying at the
        // stated offset of the stated buffer, and there is one null-mask bit
        // per view.
        let array = unsafe { StringViewArray::new_unchecked(views, buffers, self.nulls.finish()) };
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

    #[test]
    fn views_point_at_chunk_source_copies_or_inline_bytes() {
        let chunk = Buffer::from("short a value longer than twelve bytes".as_bytes());
        let text = TextSource::new(&chunk, "s3://bucket/a/long/object/key");
        let mut column = TextColumn::with_capacity(4);
        let bytes = chunk.as_slice();
        column.append(Some(&bytes[..5]), &text);
        column.append(Some(&bytes[8..]), &text);
        column.append(None, &text);
        column.append_source(&text);
        column.append(Some("canonical_user".as_bytes()), &text);
        column.append(Some("iam_user".as_bytes()), &text);
        let array = column.finish(&text);
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
        assert_eq!(strings.data_buffers()[2].len(), "canonical_user".len(), "only the long outside value is copied");
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
