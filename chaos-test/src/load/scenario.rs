//! Scenarios: the async functions a virtual user runs (`init` once, `run` in a loop,
//! `cleanup` once), registered by `#[chaos_scenario]` or built in code.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::http::Protocol;
use super::session::{Session, SessionConfig};

/// The future a scenario step returns: it borrows the session, and need not be `Send`.
pub type StepFuture<'a> = Pin<Box<dyn Future<Output = crate::Result> + 'a>>;

/// A scenario step as a plain function pointer (what `#[chaos_scenario]` registers).
pub type StepFn = for<'a> fn(&'a Session) -> StepFuture<'a>;

/// A scenario step of any kind (a closure may carry its own configuration).
pub type Step = Arc<dyn for<'a> Fn(&'a Session) -> StepFuture<'a> + Send + Sync>;

/// What `#[chaos_scenario]` registers. Not built by hand: use [`Scenario`].
#[derive(Debug)]
pub struct ScenarioDef {
    /// `module_path!()` of the function.
    pub module: &'static str,
    /// The function's name: the scenario's name.
    pub name: &'static str,
    /// The function, run once per iteration.
    pub run: StepFn,
    /// Run once when a user starts.
    pub init: Option<StepFn>,
    /// Run once when a user stops.
    pub cleanup: Option<StepFn>,
    /// Its share of the users (or of the arrivals) against the other scenarios of the run.
    pub weight: u32,
    /// Where relative paths go, when the attribute gives it.
    pub base_url: Option<fn() -> String>,
}

inventory::collect!(ScenarioDef);

/// A scenario with its share of the run and its own configuration.
#[derive(Clone)]
pub struct Scenario {
    /// Its name, as metrics and `--scenario` see it.
    pub name: String,
    /// Run once per iteration.
    pub run: Step,
    /// Run once when a user starts.
    pub init: Option<Step>,
    /// Run once when a user stops.
    pub cleanup: Option<Step>,
    /// Its share against the other scenarios (the users, or arrivals, not taken by fixed counts).
    pub weight: u32,
    /// A fixed number of users (closed model), taken before the weights share the rest.
    pub users: Option<u64>,
    /// How its sessions talk to the system under test.
    pub config: SessionConfig,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .field("users", &self.users)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// A scenario running `run` in a loop.
    pub fn new(
        name: &str,
        run: impl for<'a> Fn(&'a Session) -> StepFuture<'a> + Send + Sync + 'static,
    ) -> Scenario {
        Scenario {
            name: name.to_string(),
            run: Arc::new(run),
            init: None,
            cleanup: None,
            weight: 1,
            users: None,
            config: SessionConfig::default(),
        }
    }

    /// Runs `f` once when each user starts (log in, open a socket).
    pub fn init(mut self, f: impl for<'a> Fn(&'a Session) -> StepFuture<'a> + Send + Sync + 'static) -> Self {
        self.init = Some(Arc::new(f));
        self
    }

    /// Runs `f` once when each user stops.
    pub fn cleanup(
        mut self,
        f: impl for<'a> Fn(&'a Session) -> StepFuture<'a> + Send + Sync + 'static,
    ) -> Self {
        self.cleanup = Some(Arc::new(f));
        self
    }

    /// Its share against the other scenarios (default 1).
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// A fixed number of users for it (closed model).
    pub fn users(mut self, users: u64) -> Self {
        self.users = Some(users);
        self
    }

    /// Where relative paths go.
    pub fn base_url(mut self, url: &str) -> Self {
        self.config.base_url = url.to_string();
        self
    }

    /// Speaks HTTP/2 (cleartext, prior knowledge) instead of HTTP/1.1.
    pub fn http2(mut self) -> Self {
        self.config.protocol = Protocol::Http2;
        self
    }

    /// A header sent with every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.config.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// How long a request may take before it counts as an error (default 10 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }
}

/// The scenarios `#[chaos_scenario]` registered in this binary, by name.
pub fn registered() -> Vec<Scenario> {
    let mut defs: Vec<&ScenarioDef> = inventory::iter::<ScenarioDef>.into_iter().collect();
    defs.sort_by_key(|d| (d.module, d.name));
    defs.into_iter()
        .map(|d| {
            let run = d.run;
            let mut s = Scenario::new(d.name, run).weight(d.weight);
            if let Some(f) = d.init {
                s = s.init(f);
            }
            if let Some(f) = d.cleanup {
                s = s.cleanup(f);
            }
            if let Some(url) = d.base_url {
                s.config.base_url = url();
            }
            s
        })
        .collect()
}

/// Splits `total` into shares proportional to `weights` (largest remainders; the sum is
/// exactly `total`).
pub fn apportion(total: u64, weights: &[u32]) -> Vec<u64> {
    let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<u64> = weights.iter().map(|&w| total * u64::from(w) / sum).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse((total * u64::from(weights[i])) % sum));
    let mut left = total - shares.iter().sum::<u64>();
    for i in order {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

/// Interleaves scenario indices so that every prefix holds them in proportion to `counts`
/// (smooth weighted round robin): ramping the users up or down keeps the mix.
pub fn interleave(counts: &[u64]) -> Vec<usize> {
    let total: u64 = counts.iter().sum();
    let mut current = vec![0i128; counts.len()];
    let mut left = counts.to_vec();
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..total {
        for (i, c) in current.iter_mut().enumerate() {
            if left[i] > 0 {
                *c += i128::from(counts[i]);
            }
        }
        let pick =
            (0..counts.len()).filter(|&i| left[i] > 0).max_by_key(|&i| (current[i], std::cmp::Reverse(i)));
        let Some(pick) = pick else { break };
        current[pick] -= i128::from(total);
        left[pick] -= 1;
        out.push(pick);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_the_total_in_proportion() {
        assert_eq!(apportion(10, &[1, 1]), vec![5, 5]);
        assert_eq!(apportion(10, &[3, 1]), vec![8, 2]);
        assert_eq!(apportion(7, &[1, 1, 1]).iter().sum::<u64>(), 7);
        assert_eq!(apportion(5, &[0, 0]), vec![0, 0]);
    }

    #[test]
    fn interleaving_keeps_the_mix_in_every_prefix() {
        let order = interleave(&[6, 2]);
        assert_eq!(order.len(), 8);
        assert_eq!(order.iter().filter(|&&i| i == 1).count(), 2);
        assert!(order[..4].contains(&1), "{order:?}");
    }
}
