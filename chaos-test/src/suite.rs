//! Suites: the registered actions of one module, in source order, checked to fit together.

use std::collections::BTreeMap;

use crate::errors::{SetupError, SetupErrorKind};
use crate::registry::{ActionDef, BuiltAction, InitDef, State, StateFns};

/// One action of a suite, built.
#[derive(Debug)]
pub struct Action {
    /// Its name in walk names.
    pub name: &'static str,
    /// A barrier between phases.
    pub serial: bool,
    /// Where it is defined, for messages.
    pub file: &'static str,
    /// See `file`.
    pub line: u32,
    /// The built action (labels and the erased function).
    pub built: BuiltAction,
}

impl Action {
    /// How many choices this action offers a walk (1 for a step without options).
    pub fn radix(&self) -> usize {
        self.built.labels.as_ref().map_or(1, Vec::len)
    }

    /// The label of choice `index`, or `None` for a step without options.
    pub fn label(&self, index: usize) -> Option<&str> {
        self.built.labels.as_ref().map(|l| l[index].as_str())
    }
}

type MakeState = Box<dyn Fn() -> State + Send + Sync>;

/// The actions of one module, in source order, sharing one state type.
pub struct Suite {
    /// The module path: the first part of every walk name.
    pub name: String,
    /// The actions, in source order.
    pub actions: Vec<Action>,
    /// The state type's operations.
    pub state: StateFns,
    /// Makes the initial state (`Default` or `#[chaos_init]`).
    pub make_initial: MakeState,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite").field("name", &self.name).field("actions", &self.actions).finish()
    }
}

/// Assembles every registered suite, sorted by name. Problems in any suite are all reported.
pub fn collect() -> Result<Vec<Suite>, SetupError> {
    assemble(
        inventory::iter::<ActionDef>.into_iter().collect(),
        inventory::iter::<InitDef>.into_iter().collect(),
    )
}

fn assemble(actions: Vec<&ActionDef>, inits: Vec<&InitDef>) -> Result<Vec<Suite>, SetupError> {
    let mut by_module: BTreeMap<&str, Vec<&ActionDef>> = BTreeMap::new();
    for def in actions {
        by_module.entry(def.module).or_default().push(def);
    }
    let mut suites = Vec::new();
    let mut problems = Vec::new();
    for (module, mut defs) in by_module {
        // Source order, never inventory's (which is unspecified).
        defs.sort_by_key(|d| (!d.setup, d.file, d.line, d.column));
        let module_inits: Vec<&InitDef> = inits.iter().copied().filter(|i| i.module == module).collect();
        match suite(module, &defs, &module_inits) {
            Ok(s) => suites.push(s),
            Err(mut e) => problems.append(&mut e),
        }
    }
    for init in &inits {
        if !suites.iter().any(|s| s.name == init.module)
            && !problems.iter().any(|p: &String| p.contains(init.module))
        {
            problems.push(format!(
                "suite `{}`: #[chaos_init] found but no #[chaos_action] in that module",
                init.module
            ));
        }
    }
    if problems.is_empty() {
        Ok(suites)
    } else {
        Err(SetupError::new(SetupErrorKind::Suite, problems.join("\n")))
    }
}

fn suite(module: &str, defs: &[&ActionDef], inits: &[&InitDef]) -> Result<Suite, Vec<String>> {
    let mut problems = Vec::new();
    let mut actions: Vec<Action> = Vec::new();
    for def in defs {
        let built = (def.build)();
        if let Some(labels) = &built.labels
            && labels.is_empty()
        {
            problems.push(format!(
                "suite `{module}`: action `{}` ({}:{}) has an empty option list; give it at least one option",
                def.name, def.file, def.line
            ));
        }
        if let Some((first, first_state)) = actions.iter().find_map(|a| Some((a, a.built.state?)))
            && let Some(state) = built.state
            && first_state.type_id != state.type_id
        {
            problems.push(format!(
                "suite `{module}`: actions disagree on the state type: `{}` takes `&mut {}` but `{}` takes `&mut {}`; \
                 the actions of one module share one state",
                first.name, first_state.type_name, def.name, state.type_name
            ));
        }
        if let Some(dup) = actions.iter().find(|a| a.name == def.name) {
            problems.push(format!(
                "suite `{module}`: two actions are named `{}` ({}:{} and {}:{}); rename one with `name = \"...\"`",
                def.name, dup.file, dup.line, def.file, def.line
            ));
        }
        actions.push(Action { name: def.name, serial: def.serial, file: def.file, line: def.line, built });
    }
    let Some(state) = actions.iter().find_map(|a| a.built.state) else {
        problems.push(format!(
            "suite `{module}`: only fixtures (such as #[fault_proxy]) and no #[chaos_action]; add the actions they serve"
        ));
        return Err(problems);
    };
    let make_initial: Option<MakeState> = match inits {
        [] => state.default.map(|f| Box::new(f) as MakeState),
        [one] => {
            let built = (one.build)();
            if built.type_id != state.type_id {
                problems.push(format!(
                    "suite `{module}`: #[chaos_init] returns `{}` but the actions take `&mut {}`",
                    built.type_name, state.type_name
                ));
            }
            Some(built.make)
        }
        _ => {
            problems.push(format!("suite `{module}`: more than one #[chaos_init]; keep one"));
            None
        }
    };
    match make_initial {
        Some(make_initial) if problems.is_empty() => {
            Ok(Suite { name: module.to_string(), actions, state, make_initial })
        }
        None if inits.is_empty() => {
            problems.push(format!(
                "suite `{module}`: the state type `{}` has no `Default`; derive or implement it, or add \
                 `#[chaos_init] fn start() -> {}` to the module",
                state.type_name,
                state.type_name.rsplit("::").next().unwrap_or(state.type_name)
            ));
            Err(problems)
        }
        _ => Err(problems),
    }
}
