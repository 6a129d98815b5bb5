//! What a checker reports when it panics: the fuzz harnesses' own tests hand a harness a broken
//! codec or session and assert the report it must make. Plain std, no async stack.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// The message of the panic `f` must raise (`String` or `&str` payloads; empty for others).
/// Panics itself, with "`what` should have reported", when `f` returns normally.
pub fn panic_message(what: &str, f: impl FnOnce()) -> String {
    let Err(err) = catch_unwind(AssertUnwindSafe(f)) else {
        panic!("{what} should have reported");
    };
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// `f` panics with a message that contains `expected`.
#[track_caller]
pub fn assert_panics_with(what: &str, expected: &str, f: impl FnOnce()) {
    let report = panic_message(what, f);
    assert!(
        report.contains(expected),
        "expected a report containing {expected:?}, got {report:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_of_a_formatted_and_a_literal_panic() {
        assert_eq!(panic_message("f", || panic!("a {}", 1)), "a 1");
        assert_eq!(panic_message("f", || panic!("literal")), "literal");
    }

    #[test]
    #[should_panic(expected = "f should have reported")]
    fn no_panic_is_a_failure() {
        panic_message("f", || {});
    }

    #[test]
    #[should_panic(expected = "expected a report containing")]
    fn another_message_is_a_failure() {
        assert_panics_with("f", "wanted", || panic!("something else"));
    }
}
