//! Errors: the boxed error actions return, and the set-up errors of the harness.

use std::fmt;

/// What an action returns on failure: any error, boxed, so `?` works on every
/// `std::error::Error + Send + Sync` (and on `String` and `&str` through `.into()`).
pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of an action: `chaos_test::Result` is `Result<(), chaos_test::Error>`.
pub type Result<T = (), E = Error> = std::result::Result<T, E>;

/// A plain message as an error, made by [`ensure!`](crate::ensure) and [`bail!`](crate::bail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// A problem found while assembling the suites or reading the configuration, before any walk
/// runs. Its message names the suite, the action or the variable at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    /// What went wrong, with the input named.
    pub message: String,
    /// Which kind of input was at fault.
    pub kind: SetupErrorKind,
}

/// The input a [`SetupError`] is about.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupErrorKind {
    /// The registered actions of a suite do not fit together.
    Suite,
    /// An environment variable or configuration value does not parse.
    Config,
    /// A walk asked for by id or name does not exist.
    UnknownWalk,
}

impl SetupError {
    pub(crate) fn new(kind: SetupErrorKind, message: impl Into<String>) -> Self {
        SetupError { message: message.into(), kind }
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SetupError {}
