//! Arrow columns read as text cells, whatever type an export chose for ids, dates and
//! names: shared by the table readers and Athena's Parquet results.

use arrow_array::{Array, RecordBatch};

pub type Cell<'a> = Box<dyn Fn(usize) -> Option<String> + 'a>;

/// A column as a cell-to-text function, for the types exports use for ids, dates and names.
pub fn text_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<Cell<'a>, String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Int32Type, Int64Type, UInt32Type, UInt64Type};
    use arrow_schema::DataType;
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| format!("no `{name}` column"))?;
    let column: &'a dyn Array = column.as_ref();
    Ok(match column.data_type() {
        DataType::Utf8 => cells(column, |i| column.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => cells(column, |i| column.as_string::<i64>().value(i)),
        DataType::Utf8View => cells(column, |i| column.as_string_view().value(i)),
        DataType::UInt64 => cells(column, |i| column.as_primitive::<UInt64Type>().value(i)),
        DataType::Int64 => cells(column, |i| column.as_primitive::<Int64Type>().value(i)),
        DataType::UInt32 => cells(column, |i| column.as_primitive::<UInt32Type>().value(i)),
        DataType::Int32 => cells(column, |i| column.as_primitive::<Int32Type>().value(i)),
        DataType::Date32 => cells(column, |i| date32(column.as_primitive::<Date32Type>().value(i))),
        other => {
            return Err(format!(
                "column `{name}` has type {other}, expected text, integer or date"
            ))
        }
    })
}

/// A column's cells as text, nulls as `None`.
fn cells<'a, V: ToString>(column: &'a dyn Array, value: impl Fn(usize) -> V + 'a) -> Cell<'a> {
    Box::new(move |i| column.is_valid(i).then(|| value(i).to_string()))
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
fn date32(days: i32) -> String {
    let epoch = jiff::civil::date(1970, 1, 1);
    epoch
        .checked_add(jiff::Span::new().days(days))
        .map_or_else(|_| format!("day {days}"), |d| d.to_string())
}
