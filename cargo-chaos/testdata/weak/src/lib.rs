//! Functions with tests that check some behaviour and miss some.

/// Whether `n` is even. Tested for both answers: every mutant here is caught.
pub fn is_even(n: u32) -> bool {
    n % 2 == 0
}

/// Clamps a percentage. Only the middle case is tested: the bounds are missed.
pub fn clamp_percent(p: i32) -> i32 {
    if p > 100 {
        100
    } else if p < 0 {
        0
    } else {
        p
    }
}

/// Never called by a test.
pub fn greeting(name: &str) -> String {
    format!("hello {name}")
}

/// A type without `Default`.
pub struct Token(pub u32);

/// Tested; its only mutant (`Default::default()`) does not build: unviable.
pub fn token() -> Token {
    Token(7)
}

/// Doubles `n`. Only this doctest checks it: its mutants are caught only if doctests run.
///
/// ```
/// assert_eq!(weak::double(21), 42);
/// ```
pub fn double(n: u32) -> u32 {
    n * 2
}

#[mutants::skip]
pub fn skipped(x: u32) -> u32 {
    x + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_and_odd() {
        assert!(is_even(4));
        assert!(!is_even(7));
    }

    #[test]
    fn token_is_seven() {
        assert_eq!(token().0, 7);
    }

    #[test]
    fn percent_in_range() {
        assert_eq!(clamp_percent(42), 42);
    }
}
