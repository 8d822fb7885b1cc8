//! Grouped aggregates over the distinct values of a text column:
//! `count(DISTINCT text)` (distinct keys, addresses, requesters) and
//! `array_agg(DISTINCT text)` (the callers' addresses, buckets and
//! operations). DataFusion 55 has grouped accumulators for distinct integers
//! only; for text it keeps one accumulator object per group and feeds each
//! group its slice of every batch, which cost about a seventh of the CPU time
//! of all reports together. Here one set ([`PairSet`]) holds every (group,
//! value) pair seen.
//!
//! `count` and `array_agg` stay DataFusion's own in every other case: each is
//! wrapped, and the wrapper only takes over the `DISTINCT` form over text
//! (`Utf8View`) without `ORDER BY`, with the same intermediate state (a list
//! of the group's distinct values).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, ListBuilder, StringViewArray, StringViewBuilder,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_datafusion_err};
use datafusion::functions_aggregate::array_agg::ArrayAgg;
use datafusion::functions_aggregate::count::Count;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, ReversedUDAF,
    SetMonotonicity, Signature, StatisticsArgs,
};

use super::pair_set::PairSet;

/// DataFusion's `count`, with a grouped `count(DISTINCT text)`.
pub fn count_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(WithDistinctText { inner: Count::default(), output: Output::Count })
}

/// DataFusion's `array_agg`, with a grouped `array_agg(DISTINCT text)`.
pub fn array_agg_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(WithDistinctText { inner: ArrayAgg::default(), output: Output::List })
}

/// What a group's distinct values become.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
enum Output {
    /// How many there are; nulls are not counted.
    #[default]
    Count,
    /// The values themselves, a null being one of them unless `IGNORE
    /// NULLS`; a group with none is a null list.
    List,
}

/// An aggregate function whose `DISTINCT` form over text is grouped here;
/// every other form, and everything about planning it, is `inner`'s.
#[derive(Debug, PartialEq, Eq, Hash)]
struct WithDistinctText<F> {
    inner: F,
    output: Output,
}

impl<F> WithDistinctText<F> {
    fn takes_over(&self, args: &AccumulatorArgs) -> bool {
        args.is_distinct
            && args.exprs.len() == 1
            && args.order_bys.is_empty()
            && args.expr_fields[0].data_type() == &DataType::Utf8View
    }
}

impl<F: AggregateUDFImpl + Default + PartialEq + Eq + std::hash::Hash> AggregateUDFImpl for WithDistinctText<F> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn is_nullable(&self) -> bool {
        self.inner.is_nullable()
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.inner.state_fields(args)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.accumulator(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.takes_over(&args) || self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        if !self.takes_over(&args) {
            return self.inner.create_groups_accumulator(args);
        }
        let keeps_nulls = self.output == Output::List && !args.ignore_nulls;
        Ok(Box::new(DistinctTexts { output: self.output, keeps_nulls, ..DistinctTexts::default() }))
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.create_sliding_accumulator(args)
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        self.inner.order_sensitivity()
    }

    /// Only asked of an aggregate with `ORDER BY`, which is never taken over.
    fn with_beneficial_ordering(self: Arc<Self>, beneficial: bool) -> Result<Option<Arc<dyn AggregateUDFImpl>>> {
        Arc::new(F::default()).with_beneficial_ordering(beneficial)
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        self.inner.reverse_expr()
    }

    fn supports_null_handling_clause(&self) -> bool {
        self.inner.supports_null_handling_clause()
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.default_value(data_type)
    }

    fn value_from_stats(&self, args: &StatisticsArgs) -> Option<ScalarValue> {
        self.inner.value_from_stats(args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn set_monotonicity(&self, data_type: &DataType) -> SetMonotonicity {
        self.inner.set_monotonicity(data_type)
    }
}

/// The distinct text values of each group index.
#[derive(Debug, Default)]
struct DistinctTexts {
    pairs: PairSet,
    /// Distinct values per group (a kept null included).
    counts: Vec<i64>,
    output: Output,
    keeps_nulls: bool,
}

impl DistinctTexts {
    /// Adds each (group, value) pair, leaving out nulls unless they are kept.
    fn insert_all<'a>(&mut self, pairs: impl Iterator<Item = (usize, Option<&'a str>)>) -> Result<()> {
        let keeps_nulls = self.keeps_nulls;
        let counts = &mut self.counts;
        self.pairs.insert_all(pairs.filter(|(_, value)| value.is_some() || keeps_nulls), |group| counts[group] += 1)
    }

    /// A fresh set with the same output and null handling.
    fn emptied(&self) -> Self {
        DistinctTexts { output: self.output, keeps_nulls: self.keeps_nulls, ..DistinctTexts::default() }
    }

    /// How many groups `emit_to` hands on.
    fn emitted(&self, emit_to: EmitTo) -> usize {
        match emit_to {
            EmitTo::All => self.counts.len(),
            EmitTo::First(n) => n.min(self.counts.len()),
        }
    }

    /// Forgets the first `n` groups (all of them for `EmitTo::All`) and
    /// numbers the rest from 0.
    fn forget(&mut self, emit_to: EmitTo) -> Result<()> {
        let EmitTo::First(n) = emit_to else {
            *self = self.emptied();
            return Ok(());
        };
        let kept = std::mem::take(&mut self.pairs);
        self.counts = vec![0; self.counts.len().saturating_sub(n)];
        self.insert_all(kept.iter().filter(|(group, _)| *group >= n).map(|(group, value)| (group - n, value)))
    }

    /// The first groups' distinct values, one list per group; a group with
    /// none is a null list where `nulls_for_empty`, else an empty one.
    fn lists(&self, groups: usize, nulls_for_empty: bool) -> Result<ListArray> {
        let counts = &self.counts[..groups];
        let mut offsets = Vec::with_capacity(groups + 1);
        let mut total = 0i32;
        offsets.push(total);
        for &count in counts {
            total += i32::try_from(count).map_err(|_| exec_datafusion_err!("too many distinct values for a list"))?;
            offsets.push(total);
        }
        // Each value straight into its group's slot: no sort by group.
        let mut next: Vec<usize> = offsets[..groups].iter().map(|&o| o as usize).collect();
        let mut slots: Vec<Option<&str>> = vec![None; total as usize];
        for (group, value) in self.pairs.iter().filter(|(group, _)| *group < groups) {
            let slot = &mut next[group];
            slots[*slot] = value;
            *slot += 1;
        }
        let values = StringViewArray::from(slots);
        let validity = nulls_for_empty.then(|| NullBuffer::from_iter(counts.iter().map(|&c| c > 0)));
        Ok(ListArray::try_new(list_item(), OffsetBuffer::new(offsets.into()), Arc::new(values), validity)?)
    }
}

/// Whether a row is aggregated at all: not filtered out.
fn passes(filter: Option<&BooleanArray>, row: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(row) && f.value(row))
}

/// The item field of the state's lists, as `count`'s and `array_agg`'s
/// `state_fields` have it.
fn list_item() -> FieldRef {
    Arc::new(Field::new_list_field(DataType::Utf8View, true))
}

/// A row's value, `None` for a null.
fn text(texts: &StringViewArray, row: usize) -> Option<&str> {
    texts.is_valid(row).then(|| texts.value(row))
}

impl GroupsAccumulator for DistinctTexts {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.counts.resize(total_num_groups, 0);
        let texts = values[0].as_string_view();
        let rows = group_indices.iter().enumerate().filter(|(row, _)| passes(opt_filter, *row));
        self.insert_all(rows.map(|(row, &group)| (group, text(texts, row))))
    }

    /// Each row as a partial state of its own: a list of its one value.
    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let texts = values[0].as_string_view();
        let mut lists = ListBuilder::new(StringViewBuilder::with_capacity(texts.len())).with_field(list_item());
        for row in 0..texts.len() {
            match text(texts, row) {
                _ if !passes(opt_filter, row) => {}
                Some(value) => lists.values().append_value(value),
                None if self.keeps_nulls => lists.values().append_null(),
                None => {}
            }
            lists.append(true);
        }
        Ok(vec![Arc::new(lists.finish())])
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let groups = self.emitted(emit_to);
        let result: ArrayRef = match self.output {
            Output::Count => Arc::new(Int64Array::from(self.counts[..groups].to_vec())),
            Output::List => Arc::new(self.lists(groups, true)?),
        };
        self.forget(emit_to)?;
        Ok(result)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let lists = self.lists(self.emitted(emit_to), false)?;
        self.forget(emit_to)?;
        Ok(vec![Arc::new(lists)])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.counts.resize(total_num_groups, 0);
        let lists = values[0].as_list::<i32>();
        let texts = lists.values().as_string_view();
        let offsets = lists.offsets();
        let items = |(row, &group): (usize, &usize)| {
            (offsets[row] as usize..offsets[row + 1] as usize).map(move |i| (group, text(texts, i)))
        };
        self.insert_all(group_indices.iter().enumerate().flat_map(items))
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.pairs.size() + self.counts.capacity() * size_of::<i64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringViewArray::from(values.to_vec()))
    }

    fn counts(acc: &mut DistinctTexts, emit_to: EmitTo) -> Vec<i64> {
        let counts = acc.evaluate(emit_to).expect("evaluate");
        counts.as_primitive::<datafusion::arrow::datatypes::Int64Type>().values().to_vec()
    }

    #[test]
    fn counts_distinct_values_per_group_skipping_nulls_and_filtered_rows() {
        let mut acc = DistinctTexts::default();
        let values = texts(&[Some("a"), Some("a"), Some("b"), None, Some("a"), Some("a long value past twelve bytes")]);
        acc.update_batch(&[values], &[0, 0, 0, 0, 1, 2], None, 4).expect("update");
        let values = texts(&[Some("c"), Some("a"), Some("z")]);
        let filter = BooleanArray::from(vec![Some(true), Some(true), None]);
        acc.update_batch(&[values], &[0, 1, 3], Some(&filter), 4).expect("update");
        assert_eq!(counts(&mut acc, EmitTo::All), vec![3, 1, 1, 0]);
        assert_eq!(acc.counts.len(), 0);
    }

    #[test]
    fn lists_keep_one_null_per_group_and_a_group_with_nothing_is_a_null_list() {
        let mut acc = DistinctTexts { output: Output::List, keeps_nulls: true, ..DistinctTexts::default() };
        let values = texts(&[Some("b"), None, Some("a"), None, Some("b"), Some("c")]);
        let filter = BooleanArray::from(vec![true, true, true, true, true, false]);
        acc.update_batch(&[values], &[0, 0, 0, 0, 0, 1], Some(&filter), 2).expect("update");
        let lists = acc.evaluate(EmitTo::All).expect("evaluate");
        let lists = lists.as_list::<i32>();
        assert_eq!((lists.is_valid(0), lists.is_null(1)), (true, true));
        let group: Vec<Option<String>> = lists.value(0).as_string_view().iter().map(|v| v.map(str::to_owned)).collect();
        let mut sorted = group.clone();
        sorted.sort();
        assert_eq!(sorted, vec![None, Some("a".to_owned()), Some("b".to_owned())]);
    }

    #[test]
    fn emitting_the_first_groups_renumbers_the_rest() {
        let mut acc = DistinctTexts::default();
        acc.update_batch(&[texts(&[Some("x"), Some("y"), Some("y"), Some("x")])], &[0, 1, 2, 2], None, 3)
            .expect("update");
        assert_eq!(counts(&mut acc, EmitTo::First(1)), vec![1]);
        acc.update_batch(&[texts(&[Some("x"), Some("y")])], &[0, 1], None, 2).expect("update");
        assert_eq!(counts(&mut acc, EmitTo::All), vec![2, 2]);
    }

    #[test]
    fn state_merged_into_another_accumulator_gives_the_same_counts() {
        let mut partial = DistinctTexts::default();
        partial
            .update_batch(&[texts(&[Some("k1"), Some("k2"), Some("k1"), Some("k3")])], &[0, 0, 1, 1], None, 2)
            .expect("update");
        let state = partial.state(EmitTo::All).expect("state");
        let lists = state[0].as_list::<i32>();
        assert_eq!((lists.value_length(0), lists.value_length(1)), (2, 2));
        let mut merged = DistinctTexts::default();
        merged.update_batch(&[texts(&[Some("k1"), Some("k9")])], &[1, 0], None, 2).expect("update");
        // The partial's groups 0 and 1 land on the final's groups 1 and 0.
        merged.merge_batch(&state, &[1, 0], 2).expect("merge");
        assert_eq!(counts(&mut merged, EmitTo::All), vec![3, 2]);
    }

    #[test]
    fn rows_converted_to_state_merge_like_the_rows_themselves() {
        let rows = texts(&[Some("a"), None, Some("a"), Some("b")]);
        let filter = BooleanArray::from(vec![true, true, true, false]);
        let acc = DistinctTexts::default();
        let state = acc.convert_to_state(&[rows], Some(&filter)).expect("convert");
        let lists = state[0].as_list::<i32>();
        assert_eq!(lists.len(), 4);
        assert_eq!((0..4).map(|i| lists.value_length(i)).collect::<Vec<_>>(), vec![1, 0, 1, 0]);
        let mut merged = DistinctTexts::default();
        merged.merge_batch(&state, &[0, 0, 0, 1], 2).expect("merge");
        assert_eq!(counts(&mut merged, EmitTo::All), vec![1, 0]);
    }

    /// Runs `sql` over a table `t` (`g` Int64, `v` Utf8View) of two batches,
    /// in `partitions` partitions, with this module's aggregates when `ours`.
    async fn sql_rows(sql: &str, partitions: usize, ours: bool) -> Vec<datafusion::arrow::array::RecordBatch> {
        use datafusion::arrow::array::{Int64Array, RecordBatch};
        use datafusion::arrow::datatypes::Schema;
        use datafusion::datasource::MemTable;
        use datafusion::prelude::{SessionConfig, SessionContext};

        let schema = Arc::new(Schema::new(vec![
            Field::new("g", DataType::Int64, false),
            Field::new("v", DataType::Utf8View, true),
        ]));
        let batch = |g: Vec<i64>, v: &[Option<&str>]| {
            RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(g)), texts(v)]).expect("batch")
        };
        let one = batch(vec![1, 1, 2, 2, 4], &[Some("a"), Some("b"), None, Some("a"), Some("x")]);
        let two = batch(vec![1, 2, 2, 3, 3], &[Some("a"), Some("c"), Some("a"), None, None]);
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
        if ours {
            ctx.register_udaf(count_udaf());
            ctx.register_udaf(array_agg_udaf());
        }
        let table = MemTable::try_new(schema.clone(), vec![vec![one], vec![two]]).expect("table");
        ctx.register_table("t", Arc::new(table)).expect("register");
        ctx.sql(sql).await.expect("plan").collect().await.expect("run")
    }

    /// Through SQL, in one partition and in several (partial states merged),
    /// next to the `count` forms it leaves to DataFusion.
    #[tokio::test]
    async fn sql_count_forms_agree_in_one_partition_and_in_many() {
        let sql =
            "SELECT g, count(*) AS n, count(v) AS vs, count(DISTINCT v) AS distinct_vs FROM t GROUP BY g ORDER BY g";
        for partitions in [1, 4] {
            let rows = sql_rows(sql, partitions, true).await;
            let column = |i: usize| -> Vec<i64> {
                rows.iter()
                    .flat_map(|b| {
                        b.column(i).as_primitive::<datafusion::arrow::datatypes::Int64Type>().values().to_vec()
                    })
                    .collect()
            };
            assert_eq!(column(0), vec![1, 2, 3, 4], "{partitions} partitions");
            assert_eq!(column(1), vec![3, 4, 2, 1], "{partitions} partitions");
            assert_eq!(column(2), vec![3, 3, 0, 1], "{partitions} partitions");
            assert_eq!(column(3), vec![2, 2, 0, 1], "{partitions} partitions");
        }
    }

    /// `array_agg(DISTINCT text)` gives what DataFusion's own gives: a null
    /// is one of the values unless `IGNORE NULLS`, `FILTER` leaving a group
    /// nothing gives a null list, and an `ORDER BY` form is left to
    /// DataFusion.
    #[tokio::test]
    async fn sql_array_agg_forms_agree_with_datafusion_in_one_partition_and_in_many() {
        let sql = "SELECT g, array_sort(array_agg(DISTINCT v)) AS vs, \
            array_sort(array_agg(DISTINCT v) FILTER (WHERE v <> 'a')) AS not_a, \
            array_sort(array_agg(DISTINCT v) IGNORE NULLS) AS no_nulls, \
            array_agg(DISTINCT v ORDER BY v DESC) AS ordered, array_agg(v ORDER BY v) AS all_vs \
            FROM t GROUP BY g ORDER BY g";
        // A list holding one null prints as `[]`.
        let expected = "\
+---+----------+-------+----------+----------+-------------+
| g | vs       | not_a | no_nulls | ordered  | all_vs      |
+---+----------+-------+----------+----------+-------------+
| 1 | [a, b]   | [b]   | [a, b]   | [b, a]   | [a, a, b]   |
| 2 | [, a, c] | [c]   | [a, c]   | [, c, a] | [a, a, c, ] |
| 3 | []       |       |          | []       | [, ]        |
| 4 | [x]      | [x]   | [x]      | [x]      | [x]         |
+---+----------+-------+----------+----------+-------------+";
        for partitions in [1, 4] {
            for ours in [true, false] {
                let rows = sql_rows(sql, partitions, ours).await;
                let table = datafusion::arrow::util::pretty::pretty_format_batches(&rows).expect("format");
                assert_eq!(table.to_string(), expected, "{partitions} partitions, ours: {ours}");
            }
        }
    }
}
