//! Query-string parameters as SPEC §2 reads them: RFC 3986 percent-decoding where a `+`
//! stays a plus, and the first occurrence of a repeated parameter wins.
//!
//! This module knows nothing of learners or zones; it finds and decodes one value.

use std::borrow::Cow;

use percent_encoding::percent_decode;

/// The percent-decoded value of the first parameter named `name` in `query`
/// (the text after `?`). A parameter without `=` has the empty value.
pub fn param<'q>(query: &'q [u8], name: &[u8]) -> Option<Cow<'q, [u8]>> {
    query.split(|&b| b == b'&').find_map(|pair| {
        let (key, value) = match memchr::memchr(b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        (decode(key).as_ref() == name).then(|| decode(value))
    })
}

/// Percent-decodes without touching `+`; malformed escapes stay as written.
pub fn decode(raw: &[u8]) -> Cow<'_, [u8]> {
    percent_decode(raw).into()
}

/// A learner id: an unsigned 64-bit integer in plain decimal (no sign, no spaces),
/// read as the log parser reads its integer fields.
pub fn learner_id(value: &[u8]) -> Option<u64> {
    crate::logs::decimal(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(q: &str, name: &str) -> Option<String> {
        param(q.as_bytes(), name.as_bytes()).map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    #[test]
    fn plus_stays_a_plus_and_percent_2b_is_a_plus() {
        assert_eq!(p("tz=Etc/GMT+12", "tz").as_deref(), Some("Etc/GMT+12"));
        assert_eq!(p("tz=Etc%2FGMT%2B12", "tz").as_deref(), Some("Etc/GMT+12"));
    }

    #[test]
    fn first_of_repeated_parameters_counts() {
        assert_eq!(p("learner_id=1&learner_id=2", "learner_id").as_deref(), Some("1"));
        assert_eq!(
            p("a=1&learner_id=abc&learner_id=2", "learner_id").as_deref(),
            Some("abc")
        );
    }

    #[test]
    fn names_are_decoded_and_matched_exactly() {
        assert_eq!(p("learner%5Fid=7", "learner_id").as_deref(), Some("7"));
        assert_eq!(p("xlearner_id=7", "learner_id"), None);
        assert_eq!(p("learner_id", "learner_id").as_deref(), Some(""));
        assert_eq!(p("", "learner_id"), None);
    }

    #[test]
    fn malformed_escapes_stay_as_written() {
        assert_eq!(p("tz=Europe%2", "tz").as_deref(), Some("Europe%2"));
        assert_eq!(p("tz=%ZZ", "tz").as_deref(), Some("%ZZ"));
    }

    #[test]
    fn learner_ids_are_plain_u64_decimal() {
        assert_eq!(learner_id(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(learner_id(b"18446744073709551616"), None);
        assert_eq!(learner_id(b"007"), Some(7));
        for bad in ["", "+7", "-7", "7 ", "abc", "1e3", "0x10"] {
            assert_eq!(learner_id(bad.as_bytes()), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn encoded_values_round_trip(value in "[ -~]{0,40}", id in any::<u64>()) {
            let enc: String = percent_encoding::utf8_percent_encode(
                &value, percent_encoding::NON_ALPHANUMERIC).to_string();
            let q = format!("learner_id={id}&tz={enc}&tz=other");
            prop_assert_eq!(p(&q, "tz"), Some(value));
            prop_assert_eq!(learner_id(p(&q, "learner_id").unwrap().as_bytes()), Some(id));
        }

        #[test]
        fn never_panics(q in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = param(&q, b"learner_id").map(|v| learner_id(&v));
        }
    }
}
