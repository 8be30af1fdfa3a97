//! Table cells as borrowed values, whatever type an export chose for ids, dates and
//! names: shared by the table readers and Athena's Parquet results. Nothing is copied
//! or formatted per cell, because readers go through hundreds of millions of them.

use std::fmt;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

/// One cell as the table holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Text(&'a str),
    Int(i128),
    /// Days since 1970-01-01.
    Date(i32),
}

impl<'a> Value<'a> {
    /// The text, trimmed; `None` for a null or an empty text.
    pub fn text(self) -> Option<&'a str> {
        match self {
            Value::Text(s) => Some(s.trim()).filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    /// A learner id: an unsigned 64-bit integer, as a number or as decimal text.
    pub fn learner_id(self) -> Result<u64, String> {
        let id = match self {
            Value::Int(n) => u64::try_from(n).ok(),
            Value::Text(s) => crate::query::learner_id(s.trim().as_bytes()),
            _ => None,
        };
        id.ok_or_else(|| format!("learner_id {self} is not an unsigned 64-bit integer"))
    }

    /// A signed 64-bit integer, as a number or as decimal text; `name` is the column's.
    pub fn int(self, name: &str) -> Result<i64, String> {
        let n = match self {
            Value::Int(n) => i64::try_from(n).ok(),
            Value::Text(s) => s.parse().ok(),
            _ => None,
        };
        n.ok_or_else(|| format!("{name} {self} is not an integer"))
    }
}

impl fmt::Display for Value<'_> {
    /// As errors quote a cell: text in quotes, so blanks show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Text(s) => write!(f, "{:?}", s.trim()),
            Value::Int(n) => write!(f, "{n}"),
            Value::Date(days) => match date32(*days) {
                Some(d) => write!(f, "{d}"),
                None => write!(f, "day {days}"),
            },
        }
    }
}

/// Days since 1970-01-01 as a date, if it is one jiff can hold.
pub fn date32(days: i32) -> Option<jiff::civil::Date> {
    let epoch = jiff::civil::date(1970, 1, 1);
    let span = jiff::Span::new().try_days(days).ok()?;
    epoch.checked_add(span).ok()
}

/// An Arrow column of a type exports use for ids, dates and names.
pub enum Column<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Utf8View(&'a arrow_array::StringViewArray),
    /// Text read as its dictionary, as Parquet stores repeated text: no copy per cell.
    Dictionary(&'a arrow_array::Int32Array, &'a arrow_array::StringArray),
    UInt64(&'a arrow_array::UInt64Array),
    Int64(&'a arrow_array::Int64Array),
    UInt32(&'a arrow_array::UInt32Array),
    Int32(&'a arrow_array::Int32Array),
    Date32(&'a arrow_array::Date32Array),
}

impl<'a> Column<'a> {
    /// The batch's column `name`, or why it cannot be read.
    pub fn of(batch: &'a RecordBatch, name: &str) -> Result<Column<'a>, String> {
        let c = batch
            .column_by_name(name)
            .ok_or_else(|| format!("no `{name}` column"))?;
        Ok(match c.data_type() {
            DataType::Utf8 => Column::Utf8(c.as_string()),
            DataType::LargeUtf8 => Column::LargeUtf8(c.as_string()),
            DataType::Utf8View => Column::Utf8View(c.as_string_view()),
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = c.as_dictionary::<Int32Type>();
                Column::Dictionary(d.keys(), d.values().as_string())
            }
            DataType::UInt64 => Column::UInt64(c.as_primitive::<UInt64Type>()),
            DataType::Int64 => Column::Int64(c.as_primitive::<Int64Type>()),
            DataType::UInt32 => Column::UInt32(c.as_primitive::<UInt32Type>()),
            DataType::Int32 => Column::Int32(c.as_primitive::<Int32Type>()),
            DataType::Date32 => Column::Date32(c.as_primitive::<Date32Type>()),
            other => {
                return Err(format!(
                    "column `{name}` has type {other}, expected text, integer or date"
                ))
            }
        })
    }

    /// Row `i`'s cell.
    pub fn get(&self, i: usize) -> Value<'a> {
        fn cell<'a, A: Array>(a: &'a A, i: usize, v: impl FnOnce(&'a A) -> Value<'a>) -> Value<'a> {
            if a.is_valid(i) {
                v(a)
            } else {
                Value::Null
            }
        }
        match self {
            Column::Utf8(a) => cell(*a, i, |a| Value::Text(a.value(i))),
            Column::LargeUtf8(a) => cell(*a, i, |a| Value::Text(a.value(i))),
            Column::Utf8View(a) => cell(*a, i, |a| Value::Text(a.value(i))),
            Column::Dictionary(keys, values) => cell(*keys, i, |k| {
                let at = k.value(i) as usize;
                cell(*values, at, |v| Value::Text(v.value(at)))
            }),
            Column::UInt64(a) => cell(*a, i, |a| Value::Int(a.value(i).into())),
            Column::Int64(a) => cell(*a, i, |a| Value::Int(a.value(i).into())),
            Column::UInt32(a) => cell(*a, i, |a| Value::Int(a.value(i).into())),
            Column::Int32(a) => cell(*a, i, |a| Value::Int(a.value(i).into())),
            Column::Date32(a) => cell(*a, i, |a| Value::Date(a.value(i))),
        }
    }
}

/// The type to read a Parquet column as: text as its dictionary, the rest as stored.
pub fn reading_type(stored: &DataType) -> DataType {
    match stored {
        DataType::Utf8 => DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        other => other.clone(),
    }
}

/// The named columns of a batch, in the order named.
pub fn columns<'a>(batch: &'a RecordBatch, names: &[&str]) -> Result<Vec<Column<'a>>, String> {
    names.iter().map(|n| Column::of(batch, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learner_ids_come_from_numbers_and_decimal_text_only() {
        assert_eq!(Value::Int(u64::MAX.into()).learner_id(), Ok(u64::MAX));
        assert_eq!(Value::Text(" 42 ").learner_id(), Ok(42));
        for bad in [Value::Int(-1), Value::Text("4x"), Value::Null, Value::Date(3)] {
            let e = bad.learner_id().unwrap_err();
            assert!(e.starts_with("learner_id ") && e.ends_with("is not an unsigned 64-bit integer"));
        }
        assert_eq!(
            Value::Text("x").learner_id().unwrap_err(),
            "learner_id \"x\" is not an unsigned 64-bit integer"
        );
    }

    #[test]
    fn ints_and_dates_read_and_quote() {
        assert_eq!(Value::Text("-900").int("hits"), Ok(-900));
        assert_eq!(
            Value::Int(i128::MAX).int("hits").unwrap_err(),
            format!("hits {} is not an integer", i128::MAX)
        );
        assert_eq!(Value::Date(20_411).to_string(), "2025-11-19");
        assert_eq!(Value::Date(i32::MAX).to_string(), format!("day {}", i32::MAX));
        assert_eq!(Value::Text("  ").text(), None);
    }
}
