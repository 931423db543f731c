//! A walk's context: resources that live exactly as long as one walk, such as the fault
//! proxy a `#[fault_proxy]` dimension starts for it.
//!
//! Actions run on whichever thread the harness picks (a test thread, a timeout executor, a
//! barrier's catch-up thread), so the walk is named in a thread-local while its actions run,
//! and resources are kept in a map by walk. The harness drops a walk's resources when the walk
//! ends, pass, fail or timeout.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// A walk: its suite and id.
pub type WalkKey = (String, u128);

type Resources = HashMap<WalkKey, Vec<(String, Box<dyn Any + Send>)>>;

fn resources() -> &'static Mutex<Resources> {
    static RESOURCES: OnceLock<Mutex<Resources>> = OnceLock::new();
    RESOURCES.get_or_init(Mutex::default)
}

thread_local! {
    static CURRENT: RefCell<Option<WalkKey>> = const { RefCell::new(None) };
}

/// Names the walk whose actions this thread runs until the guard drops.
pub fn enter(key: WalkKey) -> Entered {
    let previous = CURRENT.with(|c| c.replace(Some(key)));
    Entered(previous)
}

/// Names no walk until the guard drops.
pub fn leave() -> Entered {
    Entered(CURRENT.with(|c| c.replace(None)))
}

/// Restores the previous walk on drop.
#[derive(Debug)]
pub struct Entered(Option<WalkKey>);

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// The walk whose actions this thread runs, if any.
pub fn current() -> Option<WalkKey> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Keeps `value` under `name` until the current walk ends; `Err` outside a walk.
pub fn put<T: Any + Send>(name: &str, value: T) -> Result<(), String> {
    let key = current().ok_or_else(|| format!("`{name}` can only be set up inside a walk"))?;
    let mut map = resources().lock().unwrap_or_else(PoisonError::into_inner);
    let slot = map.entry(key).or_default();
    slot.retain(|(n, _)| n != name);
    slot.push((name.to_string(), Box::new(value)));
    Ok(())
}

/// Calls `f` with the current walk's resource `name`, if it exists and is a `T`.
pub fn with<T: Any, R>(name: &str, f: impl FnOnce(&T) -> R) -> Option<R> {
    let key = current()?;
    let map = resources().lock().unwrap_or_else(PoisonError::into_inner);
    map.get(&key)?.iter().find(|(n, _)| n == name)?.1.downcast_ref::<T>().map(f)
}

/// Drops every resource of a walk (outside the lock, since dropping may block).
pub fn end_walk(key: &WalkKey) {
    let taken = resources().lock().unwrap_or_else(PoisonError::into_inner).remove(key);
    drop(taken);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_belong_to_the_current_walk_and_end_with_it() {
        assert!(put("x", 1u8).is_err(), "no walk, no resources");
        let key: WalkKey = ("suite".into(), 7);
        {
            let _in = enter(key.clone());
            put("proxy", String::from("127.0.0.1:1")).unwrap();
            assert_eq!(with("proxy", |s: &String| s.clone()).as_deref(), Some("127.0.0.1:1"));
            assert_eq!(with("proxy", |n: &u8| *n), None, "wrong type");
        }
        assert_eq!(with("proxy", |s: &String| s.clone()), None, "outside the walk");
        end_walk(&key);
        let _in = enter(key);
        assert_eq!(with("proxy", |s: &String| s.clone()), None, "ended with the walk");
    }
}
