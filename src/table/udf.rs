//! SQL functions s3logq adds to DataFusion: `redact(text)` hides presigned
//! signatures and session tokens so that users' own queries can print
//! request URIs safely.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringViewArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_string_view_array;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;

use crate::redact::redact;

/// Registers s3logq's functions on `ctx`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(redact_udf());
}

fn redact_udf() -> ScalarUDF {
    create_udf(
        "redact",
        vec![DataType::Utf8View],
        DataType::Utf8View,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let input = cast(&arrays[0], &DataType::Utf8View)?;
            let texts = as_string_view_array(&input)?;
            let out: StringViewArray = texts.iter().map(|t| t.map(redact)).collect();
            Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
        }),
    )
}
