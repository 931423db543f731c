//! Errors of the fault proxy.

use std::fmt;

/// What went wrong starting, driving or configuring a proxy.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProxyError {
    /// A fault parameter is out of range.
    BadParameter {
        /// The fault.
        fault: &'static str,
        /// The parameter.
        parameter: String,
        /// What was given.
        got: String,
        /// What is accepted.
        accepted: String,
    },
    /// A Vaurien behaviour string does not parse.
    BadBehavior {
        /// What was given.
        got: String,
        /// What is accepted.
        accepted: &'static str,
    },
    /// The listener could not be bound (or bound again after `down`).
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        error: String,
    },
    /// An upstream address does not resolve.
    Upstream {
        /// The address given.
        addr: String,
        /// Why.
        error: String,
    },
    /// The proxy has stopped.
    Stopped,
    /// No walk proxy of that name in the current walk.
    NoWalkProxy {
        /// The name asked for.
        name: String,
    },
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyError::BadParameter { fault, parameter, got, accepted } => {
                write!(
                    f,
                    "fault `{fault}`: parameter `{parameter}` = {got} is out of range; accepted: {accepted}"
                )
            }
            ProxyError::BadBehavior { got, accepted } => {
                write!(f, "behaviour {got:?} does not parse; accepted: {accepted}")
            }
            ProxyError::Bind { addr, error } => write!(f, "cannot listen on {addr}: {error}"),
            ProxyError::Upstream { addr, error } => write!(f, "upstream {addr:?}: {error}"),
            ProxyError::Stopped => write!(f, "the proxy has stopped"),
            ProxyError::NoWalkProxy { name } => write!(
                f,
                "no walk proxy `{name}` in this walk: declare `#[fault_proxy(faults = [..])] fn {name}() -> String` \
                 in the suite's module, and call walk_proxy from one of its actions"
            ),
        }
    }
}

impl std::error::Error for ProxyError {}
