//! What the macros register, and the type-erasing constructors their generated code calls.
//!
//! A registration is a `fn` pointer (`build`) so nothing runs before `main`: options
//! expressions are evaluated once, when the harness assembles the suites.

use std::any::{Any, TypeId};
use std::fmt::Debug;

use crate::errors::Error;
use crate::label;

/// A walk's state, erased. Each walk owns one; actions downcast it to their `&mut S`.
pub type State = Box<dyn Any + Send>;

/// One `#[chaos_action]`, as registered.
#[derive(Debug)]
pub struct ActionDef {
    /// `module_path!()` of the action: its suite.
    pub module: &'static str,
    /// The name used in walk names (the function's, or `name = "..."`).
    pub name: &'static str,
    /// `file!()`, `line!()`, `column!()` of the function name: the source order.
    pub file: &'static str,
    /// See `file`.
    pub line: u32,
    /// See `file`.
    pub column: u32,
    /// A barrier between phases.
    pub serial: bool,
    /// Runs before the suite's other actions whatever its position (a walk's fixtures, such
    /// as a `#[fault_proxy]` dimension).
    pub setup: bool,
    /// Builds the action: evaluates the options and erases the types.
    pub build: fn() -> BuiltAction,
}

/// One `#[chaos_init]`, as registered.
#[derive(Debug)]
pub struct InitDef {
    /// `module_path!()` of the constructor: the suite it starts.
    pub module: &'static str,
    /// Builds the constructor.
    pub build: fn() -> BuiltInit,
}

inventory::collect!(ActionDef);
inventory::collect!(InitDef);

type Invoke = Box<dyn Fn(&mut (dyn Any + Send), usize) -> Result<(), Error> + Send + Sync>;

/// An action with its options evaluated.
pub struct BuiltAction {
    /// How to make, clone and show the state type the action takes; `None` for actions that
    /// ignore the state (a `#[fault_proxy]` dimension).
    pub state: Option<StateFns>,
    /// The option labels; `None` for a step without options.
    pub labels: Option<Vec<String>>,
    /// Runs the action on a state with the option of the given index.
    pub invoke: Invoke,
}

impl std::fmt::Debug for BuiltAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltAction")
            .field("state", &self.state.map(|s| s.type_name))
            .field("labels", &self.labels)
            .finish()
    }
}

/// A `#[chaos_init]` constructor, erased.
pub struct BuiltInit {
    /// The state type it returns.
    pub type_name: &'static str,
    /// Its `TypeId`.
    pub type_id: TypeId,
    /// Makes one initial state.
    pub make: Box<dyn Fn() -> State + Send + Sync>,
}

impl std::fmt::Debug for BuiltInit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltInit").field("type_name", &self.type_name).finish()
    }
}

/// The operations the harness needs on a state type, found at the macro's expansion site
/// (where the type is concrete) by autoref specialisation: see [`state_fns!`](crate::__private::state_fns).
#[derive(Debug, Clone, Copy)]
pub struct StateFns {
    /// `std::any::type_name` of the state.
    pub type_name: &'static str,
    /// Its `TypeId`, to check that a suite's actions agree.
    pub type_id: TypeId,
    /// Clones a state (each walk starts from a clone).
    pub clone: fn(&(dyn Any + Send)) -> State,
    /// `Default::default`, when the type has it.
    pub default: Option<fn() -> State>,
    /// `serde::Serialize` to JSON, when the type has it: the gathered final state.
    pub to_json: Option<fn(&(dyn Any + Send)) -> serde_json::Value>,
    /// `Debug`, when the type has it and no `Serialize`.
    pub to_debug: Option<fn(&(dyn Any + Send)) -> String>,
}

impl StateFns {
    /// Fills in what every state type has; the optional parts come from the probes.
    pub fn new<S: Clone + Send + 'static>(
        default: Option<fn() -> State>,
        to_json: Option<fn(&(dyn Any + Send)) -> serde_json::Value>,
        to_debug: Option<fn(&(dyn Any + Send)) -> String>,
    ) -> Self {
        StateFns {
            type_name: std::any::type_name::<S>(),
            type_id: TypeId::of::<S>(),
            clone: clone_state::<S>,
            default,
            to_json,
            to_debug,
        }
    }

    /// The state as JSON for the trace: `Serialize` if it has it, else its `Debug` text.
    pub fn snapshot(&self, state: &(dyn Any + Send)) -> Option<serde_json::Value> {
        match (self.to_json, self.to_debug) {
            (Some(f), _) => Some(f(state)),
            (None, Some(f)) => Some(serde_json::Value::String(f(state))),
            (None, None) => None,
        }
    }
}

fn clone_state<S: Clone + Send + 'static>(state: &(dyn Any + Send)) -> State {
    match state.downcast_ref::<S>() {
        Some(s) => Box::new(s.clone()),
        None => {
            unreachable!("suite assembly checks that every action of a suite shares one state type")
        }
    }
}

fn downcast<'a, S: 'static>(state: &'a mut (dyn Any + Send), type_name: &str) -> Result<&'a mut S, Error> {
    state
        .downcast_mut::<S>()
        .ok_or_else(|| format!("internal: the walk's state is not a `{type_name}`").into())
}

/// What an action may return: `Result<(), E>` for any `E` that converts into [`Error`].
pub trait IntoOutcome {
    /// Converts into the harness's result.
    fn into_outcome(self) -> Result<(), Error>;
}

impl<E: Into<Error>> IntoOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<(), Error> {
        self.map_err(Into::into)
    }
}

/// Builds an action with options: collects them once, labels them, and erases the types.
pub fn with_options<S, I, F, R>(state: StateFns, options: I, f: F) -> BuiltAction
where
    S: 'static,
    I: IntoIterator,
    I::Item: Debug + Send + Sync + 'static,
    F: Fn(&mut S, &I::Item) -> R + Send + Sync + 'static,
    R: IntoOutcome,
{
    let values: Vec<I::Item> = options.into_iter().collect();
    let labels = label::unique(values.iter().map(label::of).collect());
    let type_name = state.type_name;
    BuiltAction {
        state: Some(state),
        labels: Some(labels),
        invoke: Box::new(move |state, index| {
            let s = downcast::<S>(state, type_name)?;
            f(s, &values[index]).into_outcome()
        }),
    }
}

/// Builds an action without options: a step run in every walk.
pub fn step<S, F, R>(state: StateFns, f: F) -> BuiltAction
where
    S: 'static,
    F: Fn(&mut S) -> R + Send + Sync + 'static,
    R: IntoOutcome,
{
    let type_name = state.type_name;
    BuiltAction {
        state: Some(state),
        labels: None,
        invoke: Box::new(move |state, _| f(downcast::<S>(state, type_name)?).into_outcome()),
    }
}

/// Builds a `#[chaos_init]` constructor.
pub fn init<S: Send + 'static>(f: fn() -> S) -> BuiltInit {
    BuiltInit {
        type_name: std::any::type_name::<S>(),
        type_id: TypeId::of::<S>(),
        make: Box::new(move || Box::new(f())),
    }
}

/// Autoref-specialisation probes: `(&Probe::<S>::new()).default_fn()` picks the impl on
/// `Probe<S>` when `S: Default`, and falls back to the one on `&Probe<S>` otherwise. This only
/// works where `S` is concrete, which is why [`state_fns!`](crate::__private::state_fns)
/// expands at the macro's call site.
pub mod probe {
    use super::State;
    use std::any::Any;
    use std::marker::PhantomData;

    /// A zero-sized stand-in for the type being probed.
    #[derive(Debug)]
    pub struct Probe<T>(PhantomData<T>);

    impl<T> Probe<T> {
        /// Makes the probe.
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            Probe(PhantomData)
        }
    }

    /// `Default` found.
    pub trait ViaDefault {
        /// The constructor.
        fn default_fn(&self) -> Option<fn() -> State>;
    }
    impl<T: Default + Send + 'static> ViaDefault for Probe<T> {
        fn default_fn(&self) -> Option<fn() -> State> {
            Some(make_default::<T>)
        }
    }
    /// `Default` absent.
    pub trait NoDefault {
        /// None.
        fn default_fn(&self) -> Option<fn() -> State>;
    }
    impl<T> NoDefault for &Probe<T> {
        fn default_fn(&self) -> Option<fn() -> State> {
            None
        }
    }

    /// `Serialize` found.
    pub trait ViaSerialize {
        /// The converter.
        fn json_fn(&self) -> Option<fn(&(dyn Any + Send)) -> serde_json::Value>;
    }
    impl<T: serde::Serialize + 'static> ViaSerialize for Probe<T> {
        fn json_fn(&self) -> Option<fn(&(dyn Any + Send)) -> serde_json::Value> {
            Some(to_json::<T>)
        }
    }
    /// `Serialize` absent.
    pub trait NoSerialize {
        /// None.
        fn json_fn(&self) -> Option<fn(&(dyn Any + Send)) -> serde_json::Value>;
    }
    impl<T> NoSerialize for &Probe<T> {
        fn json_fn(&self) -> Option<fn(&(dyn Any + Send)) -> serde_json::Value> {
            None
        }
    }

    /// `Debug` found.
    pub trait ViaDebug {
        /// The formatter.
        fn debug_fn(&self) -> Option<fn(&(dyn Any + Send)) -> String>;
    }
    impl<T: std::fmt::Debug + 'static> ViaDebug for Probe<T> {
        fn debug_fn(&self) -> Option<fn(&(dyn Any + Send)) -> String> {
            Some(to_debug::<T>)
        }
    }
    /// `Debug` absent.
    pub trait NoDebug {
        /// None.
        fn debug_fn(&self) -> Option<fn(&(dyn Any + Send)) -> String>;
    }
    impl<T> NoDebug for &Probe<T> {
        fn debug_fn(&self) -> Option<fn(&(dyn Any + Send)) -> String> {
            None
        }
    }

    fn make_default<T: Default + Send + 'static>() -> State {
        Box::new(T::default())
    }

    fn to_json<T: serde::Serialize + 'static>(state: &(dyn Any + Send)) -> serde_json::Value {
        state
            .downcast_ref::<T>()
            .and_then(|s| serde_json::to_value(s).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    fn to_debug<T: std::fmt::Debug + 'static>(state: &(dyn Any + Send)) -> String {
        state.downcast_ref::<T>().map(|s| format!("{s:?}")).unwrap_or_default()
    }
}

/// Expands to the [`StateFns`] of a concrete state type, probing for `Default`, `Serialize`
/// and `Debug`.
#[doc(hidden)]
#[macro_export]
macro_rules! __state_fns {
    ($state:ty) => {{
        #[allow(unused_imports)]
        use $crate::__private::probe::{
            NoDebug as _, NoDefault as _, NoSerialize as _, ViaDebug as _, ViaDefault as _, ViaSerialize as _,
        };
        $crate::__private::StateFns::new::<$state>(
            (&$crate::__private::probe::Probe::<$state>::new()).default_fn(),
            (&$crate::__private::probe::Probe::<$state>::new()).json_fn(),
            (&$crate::__private::probe::Probe::<$state>::new()).debug_fn(),
        )
    }};
}
