//! Arrow columns read as text cells, whatever type an export chose for ids, dates and
//! names: shared by the table readers and Athena's Parquet results.

use std::fmt::Write;

use arrow_array::{Array, RecordBatch};

/// Writes row `i`'s text into the cell, reusing its allocation (`None` for a null):
/// readers go through hundreds of millions of cells.
pub type Cell<'a> = Box<dyn Fn(usize, &mut Option<String>) + 'a>;

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
        DataType::Utf8 => texts(column, |i| column.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => texts(column, |i| column.as_string::<i64>().value(i)),
        DataType::Utf8View => texts(column, |i| column.as_string_view().value(i)),
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

/// A text column's cells.
fn texts<'a>(column: &'a dyn Array, value: impl Fn(usize) -> &'a str + 'a) -> Cell<'a> {
    Box::new(move |i, cell| set(cell, column.is_valid(i), |s| s.push_str(value(i))))
}

/// A column's cells as their text.
fn cells<'a, V: std::fmt::Display>(column: &'a dyn Array, value: impl Fn(usize) -> V + 'a) -> Cell<'a> {
    Box::new(move |i, cell| {
        set(cell, column.is_valid(i), |s| {
            let _ = write!(s, "{}", value(i));
        })
    })
}

/// Refills a cell in place; a null empties it.
pub fn set(cell: &mut Option<String>, valid: bool, fill: impl FnOnce(&mut String)) {
    if !valid {
        *cell = None;
        return;
    }
    let text = cell.get_or_insert_with(String::new);
    text.clear();
    fill(text);
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
fn date32(days: i32) -> String {
    let epoch = jiff::civil::date(1970, 1, 1);
    epoch
        .checked_add(jiff::Span::new().days(days))
        .map_or_else(|_| format!("day {days}"), |d| d.to_string())
}
