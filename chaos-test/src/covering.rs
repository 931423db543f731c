//! Deterministic, seeded t-wise covering array generation (std only).
//!
//! The generator works in three phases:
//!
//! 1. **Validity.** Under constraints some t-tuples can never appear in an allowed row, and
//!    demanding them would make the problem unsolvable. A tuple is required only if a
//!    depth-first search finds an allowed completion. Every completion found is a whole valid
//!    row, so it certifies all `C(k, t)` tuples it contains at once; without constraints the
//!    phase costs about one search per few hundred tuples instead of one per tuple.
//! 2. **Greedy construction (AETG/DDA-style).** Rows are added one at a time. Each row is seeded
//!    with a random uncovered tuple (so every row makes progress, even under constraints); the
//!    other columns are filled in random order with the value of highest "density": newly
//!    covered tuples, plus partial credit for tuples that are one column away from being fixed,
//!    so that early columns are not chosen blindly. The best of a few candidates is kept. This
//!    always succeeds but is typically 15-30% above the best known sizes.
//! 3. **Row reduction by tabu search.** The greedy array is only a safe fallback. We repeatedly
//!    delete a row (the one carrying the fewest uniquely covered tuples) and repair the now
//!    incomplete array by local search: pick a random uncovered tuple, consider writing it into
//!    the rows that need the fewest cell changes, and apply the move with the best net change
//!    in uncovered tuples (random among ties; recently changed cells are tabu so the search
//!    does not just undo its last move). This is the move structure of TCA (Lin et al., 2015);
//!    it handles constraints naturally because each candidate row is checked with `allowed`
//!    before being applied. A failed repair is retried from the last complete array with a
//!    random row removed; after `MAX_FAILS` consecutive failures (or when the work budget is
//!    spent) the last complete array is returned.
//!
//! All randomness comes from the crate's splitmix64 generator (`crate::rng`) seeded by the caller, and every budget is
//! counted in work units (roughly: tuple evaluations), never wall-clock time, so the output
//! depends only on the inputs. Coverage counts live in one flat array indexed by a mixed-radix
//! numbering of (column combination, value tuple), the uncovered set is an index list with O(1)
//! insert/remove, and each row caches its tuple ids, so scoring a one-cell move costs
//! `C(k-1, t-1)` array lookups.

use crate::rng::Rng;

/// Which partial assignments are allowed. `row[i] == None` means column i is not assigned yet.
/// Called on partial rows too: answer `false` as soon as the assigned columns already violate a
/// constraint (early answers keep the validity search fast), and `true` while it cannot tell.
/// The walk harness's `constraint::Rules` does this for user predicates automatically.
pub trait Allowed {
    /// Whether `row` (possibly partial) does not yet violate a constraint.
    fn allowed(&self, row: &[Option<usize>]) -> bool;
}

impl<F: Fn(&[Option<usize>]) -> bool> Allowed for F {
    fn allowed(&self, row: &[Option<usize>]) -> bool {
        self(row)
    }
}

/// Work units (roughly: tuple evaluations) per call for greedy construction plus reduction
/// (the validity phase is not counted): at most about 0.5 s in a release build. Most plans stop
/// earlier, at `MAX_FAILS`.
const WORK_BUDGET: u64 = 100_000_000;
/// A repair attempt gives up after `max(PATIENCE, PATIENCE_PER_ROW * rows)` steps without a new
/// best uncovered count.
const PATIENCE: u64 = 2_000;
const PATIENCE_PER_ROW: u64 = 100;
/// Consecutive failed repair attempts after which the current size is accepted.
const MAX_FAILS: usize = 30;
/// Coverage-count offset marking tuples that need not be covered.
const DONT_CARE: u32 = 1 << 31;
/// Number of steps a changed cell stays tabu.
const TENURE: u64 = 2;
/// Greedy candidates per constructed row.
const CANDIDATES: usize = 5;

/// Every valid `strength`-tuple of values (one value per chosen column, over every combination
/// of `strength` columns) appears in at least one returned row. `radices[i]` = number of options
/// of column i (>= 1). Rows are complete and every returned row satisfies `allowed` with all
/// columns `Some`. A t-tuple is "valid" if some complete allowed row contains it (decided by a
/// completion search). Deterministic for a given (radices, strength, seed, constraint). If
/// `strength >= radices.len()`, returns the full product (filtered). A strength of 0 is treated
/// as 1; a radix of 0 yields no rows.
///
/// `allowed` is called on partial rows (during the completion search and greedy filling) and
/// must answer `true` while a constraint cannot be decided yet. Its pruning is what keeps the
/// completion search fast: a constraint that only rejects complete rows makes proving a tuple
/// invalid cost a walk over the full product. Memory is `O(sum over t-column sets of the
/// product of their radices)`, e.g. 1.2M counters for t=4 on 4^20.
pub fn generate(radices: &[usize], strength: usize, seed: u64, allowed: &dyn Allowed) -> Vec<Vec<usize>> {
    if radices.contains(&0) {
        return Vec::new();
    }
    let t = strength.max(1);
    let k = radices.len();
    if t >= k {
        return full_product(radices, allowed);
    }
    let space = Space::new(radices, t);
    let mut cv = Cover::new(&space, allowed, seed);
    while !cv.uncovered.is_empty() {
        let mut best: Option<(usize, Vec<usize>)> = None;
        // Extra candidates pay off, but not on huge plans where a single row is already costly.
        let candidates = if cv.work < WORK_BUDGET / 4 { CANDIDATES } else { 1 };
        for _ in 0..candidates {
            if let Some(row) = cv.greedy_row() {
                let gain = cv.new_coverage(&row);
                if best.as_ref().is_none_or(|b| gain > b.0) {
                    best = Some((gain, row));
                }
            }
        }
        if let Some((_, row)) = best {
            cv.add_row(&row);
        }
    }
    let mut best = cv.rows.clone();
    let mut fails = 0;
    while best.len() / k > cv.lower.max(1) && cv.work < WORK_BUDGET && fails < MAX_FAILS {
        // The first attempt at a size drops the weakest row; retries restart from the best
        // complete array with a random row dropped, which diversifies far more than continuing
        // from a stuck state.
        let r = if fails == 0 { cv.weakest_row() } else { cv.rng.below(best.len() / k) };
        cv.remove_row(r);
        if cv.repair() {
            best.clone_from(&cv.rows);
            fails = 0;
        } else {
            fails += 1;
            cv.reset(&best);
        }
    }
    best.chunks(k).map(<[usize]>::to_vec).collect()
}

/// Every complete row (lexicographic order) that `allowed` accepts.
fn full_product(radices: &[usize], allowed: &dyn Allowed) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut row = vec![0; radices.len()];
    loop {
        let opt: Vec<Option<usize>> = row.iter().map(|&v| Some(v)).collect();
        if allowed.allowed(&opt) {
            out.push(row.clone());
        }
        // Odometer increment; wrapping past the first column ends the enumeration.
        let mut i = row.len();
        loop {
            if i == 0 {
                return out;
            }
            i -= 1;
            row[i] += 1;
            if row[i] < radices[i] {
                break;
            }
            row[i] = 0;
        }
    }
}

/// All t-subsets of columns ("combos") with a dense numbering of their value tuples:
/// tuple id = `off[j] + sum(value_i * mul_i)`, so coverage counts fit in one flat array.
struct Space {
    k: usize,
    t: usize,
    radices: Vec<usize>,
    cols: Vec<usize>,
    mul: Vec<usize>,
    off: Vec<usize>,
    /// For each column, the combos containing it with the column's multiplier in that combo.
    by_col: Vec<Vec<(usize, usize)>>,
}

impl Space {
    fn new(radices: &[usize], t: usize) -> Self {
        let k = radices.len();
        let mut sp = Space {
            k,
            t,
            radices: radices.to_vec(),
            cols: Vec::new(),
            mul: Vec::new(),
            off: vec![0],
            by_col: vec![Vec::new(); k],
        };
        let mut c: Vec<usize> = (0..t).collect();
        loop {
            let j = sp.off.len() - 1;
            let mut m = 1;
            let start = sp.mul.len();
            for &col in c.iter().rev() {
                sp.mul.push(m);
                sp.by_col[col].push((j, m));
                m *= radices[col];
            }
            sp.mul[start..].reverse();
            sp.cols.extend_from_slice(&c);
            sp.off.push(sp.off[j] + m);
            // Advance to the next combination in lexicographic order.
            let mut i = t;
            while i > 0 && c[i - 1] == k - t + i - 1 {
                i -= 1;
            }
            if i == 0 {
                return sp;
            }
            c[i - 1] += 1;
            for x in i..t {
                c[x] = c[x - 1] + 1;
            }
        }
    }

    fn combos(&self) -> usize {
        self.off.len() - 1
    }

    fn total(&self) -> usize {
        self.off[self.combos()]
    }

    fn combo_cols(&self, j: usize) -> &[usize] {
        &self.cols[j * self.t..(j + 1) * self.t]
    }

    /// Id of the tuple that `row` shows on combo `j`.
    fn id(&self, j: usize, row: &[usize]) -> usize {
        let r = j * self.t..(j + 1) * self.t;
        self.cols[r.clone()].iter().zip(&self.mul[r]).fold(self.off[j], |acc, (&c, &m)| acc + row[c] * m)
    }

    /// Combos whose tuple differs between rows `old` and `new`, which may differ only on the
    /// (ascending) columns `cols`. A combo containing several changed columns is attributed to
    /// the smallest one, so each is yielded exactly once.
    fn touched<'s>(
        &'s self,
        cols: &'s [usize],
        old: &'s [usize],
        new: &'s [usize],
    ) -> impl Iterator<Item = usize> + 's {
        cols.iter().filter(move |&&c| old[c] != new[c]).flat_map(move |&c| {
            self.by_col[c]
                .iter()
                .map(|&(q, _)| q)
                .filter(move |&q| self.combo_cols(q).iter().all(|&x| x >= c || old[x] == new[x]))
        })
    }

    /// Inverse of `id`: the combo index, with the tuple's values written to `vals`.
    fn decode(&self, id: usize, vals: &mut Vec<usize>) -> usize {
        let j = self.off.partition_point(|&o| o <= id) - 1;
        let mut rem = id - self.off[j];
        vals.clear();
        for &m in &self.mul[j * self.t..(j + 1) * self.t] {
            vals.push(rem / m);
            rem %= m;
        }
        j
    }
}

/// A growing/shrinking array of rows together with per-tuple coverage counts.
struct Cover<'a> {
    sp: &'a Space,
    allowed: &'a dyn Allowed,
    rng: Rng,
    /// Number of rows containing the tuple, offset by `DONT_CARE` for tuples that need no
    /// coverage (no allowed completion), so "needed and uncovered" is just `cnt == 0` and
    /// "needed and covered once" is `cnt == 1`: one memory access per tuple in the hot loop.
    cnt: Vec<u32>,
    /// Lower bound on the row count: the most needed tuples on any single combo.
    lower: usize,
    /// Needed tuples with `cnt == 0`, and each tuple's index in that list (`usize::MAX` if absent).
    uncovered: Vec<usize>,
    pos: Vec<usize>,
    /// Rows, flattened (`k` values each).
    rows: Vec<usize>,
    /// Tuple id of every (row, combo), flattened, so a move's "before" ids are plain loads.
    ids: Vec<usize>,
    tmp: Vec<usize>,
    touched: Vec<usize>,
    opt: Vec<Option<usize>>,
    work: u64,
}

impl<'a> Cover<'a> {
    fn new(sp: &'a Space, allowed: &'a dyn Allowed, seed: u64) -> Self {
        let n = sp.total();
        let mut cv = Cover {
            sp,
            allowed,
            rng: Rng(seed),
            cnt: vec![DONT_CARE; n],
            lower: 0,
            uncovered: Vec::new(),
            pos: vec![usize::MAX; n],
            rows: Vec::new(),
            ids: Vec::new(),
            tmp: vec![0; sp.k],
            touched: Vec::new(),
            opt: vec![None; sp.k],
            work: 0,
        };
        let mut decided = vec![false; n];
        let mut vals = Vec::new();
        for id in 0..n {
            if decided[id] {
                continue;
            }
            decided[id] = true;
            let j = sp.decode(id, &mut vals);
            if let Some(row) = cv.complete(sp.combo_cols(j), &vals) {
                for q in 0..sp.combos() {
                    let i = sp.id(q, &row);
                    decided[i] = true;
                    cv.cnt[i] = 0;
                }
            }
        }
        for id in 0..n {
            if cv.cnt[id] == 0 {
                cv.pos[id] = cv.uncovered.len();
                cv.uncovered.push(id);
            }
        }
        cv.lower = (0..sp.combos())
            .map(|j| (sp.off[j]..sp.off[j + 1]).filter(|&i| cv.cnt[i] == 0).count())
            .max()
            .unwrap_or(0);
        cv
    }

    /// An allowed complete row with `cols` fixed to `vals`, found by depth-first search over
    /// the remaining columns (each tried from a random starting value, so that the rows found
    /// certify varied tuples).
    fn complete(&mut self, cols: &[usize], vals: &[usize]) -> Option<Vec<usize>> {
        let mut row = vec![None; self.sp.k];
        for (&c, &v) in cols.iter().zip(vals) {
            row[c] = Some(v);
        }
        if !self.allowed.allowed(&row) {
            return None;
        }
        let free: Vec<usize> = (0..self.sp.k).filter(|&c| row[c].is_none()).collect();
        let offs: Vec<usize> = free.iter().map(|&c| self.rng.below(self.sp.radices[c])).collect();
        fn dfs(
            row: &mut [Option<usize>],
            free: &[(usize, usize)],
            radices: &[usize],
            allowed: &dyn Allowed,
        ) -> bool {
            let Some((&(c, off), rest)) = free.split_first() else {
                return true;
            };
            for i in 0..radices[c] {
                row[c] = Some((i + off) % radices[c]);
                if allowed.allowed(row) && dfs(row, rest, radices, allowed) {
                    return true;
                }
            }
            row[c] = None;
            false
        }
        let free: Vec<(usize, usize)> = free.into_iter().zip(offs).collect();
        dfs(&mut row, &free, &self.sp.radices, self.allowed)
            .then(|| row.iter().map(|v| v.unwrap_or(0)).collect())
    }

    /// Removes `id` from the uncovered list (swap-remove through `pos`).
    fn unlist(&mut self, id: usize) {
        let p = self.pos[id];
        let last = self.uncovered.pop().unwrap_or(id);
        if last != id {
            self.uncovered[p] = last;
            self.pos[last] = p;
        }
        self.pos[id] = usize::MAX;
    }

    fn inc(&mut self, id: usize) {
        self.cnt[id] += 1;
        if self.cnt[id] == 1 {
            self.unlist(id);
        }
    }

    fn dec(&mut self, id: usize) {
        self.cnt[id] -= 1;
        if self.cnt[id] == 0 {
            self.pos[id] = self.uncovered.len();
            self.uncovered.push(id);
        }
    }

    fn add_row(&mut self, row: &[usize]) {
        for j in 0..self.sp.combos() {
            let id = self.sp.id(j, row);
            self.inc(id);
            self.ids.push(id);
        }
        self.rows.extend_from_slice(row);
    }

    /// Replaces the array with `rows` (flattened), recomputing coverage from scratch.
    fn reset(&mut self, rows: &[usize]) {
        self.work += (self.cnt.len() + rows.len()) as u64;
        self.uncovered.clear();
        for (i, c) in self.cnt.iter_mut().enumerate() {
            if *c < DONT_CARE {
                *c = 0;
                self.pos[i] = self.uncovered.len();
                self.uncovered.push(i);
            }
        }
        self.rows.clear();
        self.ids.clear();
        for row in rows.chunks(self.sp.k) {
            self.add_row(row);
        }
    }

    /// Removes row `r` by moving the last row into its place.
    fn remove_row(&mut self, r: usize) {
        let (k, nc) = (self.sp.k, self.sp.combos());
        for q in 0..nc {
            self.dec(self.ids[r * nc + q]);
        }
        let last = self.rows.len() - k;
        self.rows.copy_within(last.., r * k);
        self.rows.truncate(last);
        let last = self.ids.len() - nc;
        self.ids.copy_within(last.., r * nc);
        self.ids.truncate(last);
    }

    /// Number of currently uncovered needed tuples that `row` would cover.
    fn new_coverage(&self, row: &[usize]) -> usize {
        (0..self.sp.combos()).map(|j| self.sp.id(j, row)).filter(|&i| self.cnt[i] == 0).count()
    }

    /// The row whose removal uncovers the fewest tuples.
    fn weakest_row(&mut self) -> usize {
        self.work += self.ids.len() as u64;
        let nc = self.sp.combos();
        let unique = |r: &[usize]| r.iter().filter(|&&i| self.cnt[i] == 1).count();
        let rows = self.ids.chunks(nc.max(1)).map(unique).enumerate();
        rows.min_by_key(|&(_, u)| u).map_or(0, |(r, _)| r)
    }

    /// One greedy row seeded with a random uncovered tuple. Falls back to a completion search
    /// when greedy filling runs into a constraint dead end.
    fn greedy_row(&mut self) -> Option<Vec<usize>> {
        let sp = self.sp;
        let tau = self.uncovered[self.rng.below(self.uncovered.len())];
        let mut vals = Vec::new();
        let j = sp.decode(tau, &mut vals);
        let mut row = vec![None; sp.k];
        for (&c, &v) in sp.combo_cols(j).iter().zip(&vals) {
            row[c] = Some(v);
        }
        let mut order: Vec<usize> = (0..sp.k).filter(|&c| row[c].is_none()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, self.rng.below(i + 1));
        }
        let mut ok = true;
        for &c in &order {
            let (mut best, mut best_gain, mut ties) = (None, 0.0, 0);
            for v in 0..sp.radices[c] {
                row[c] = Some(v);
                if !self.allowed.allowed(&row) {
                    continue;
                }
                let gain = self.density(c, &row);
                if best.is_none() || gain > best_gain {
                    (best, best_gain, ties) = (Some(v), gain, 1);
                } else if gain == best_gain {
                    ties += 1;
                    if self.rng.below(ties) == 0 {
                        best = Some(v);
                    }
                }
            }
            row[c] = best;
            if best.is_none() {
                ok = false;
                break;
            }
        }
        if ok && self.allowed.allowed(&row) {
            return Some(row.iter().map(|v| v.unwrap_or(0)).collect());
        }
        let found = self.complete(sp.combo_cols(j), &vals);
        if found.is_none() {
            // Only reachable with an inconsistent `allowed`; drop the tuple rather than loop.
            self.unlist(tau);
            self.cnt[tau] = DONT_CARE;
        }
        found
    }

    /// Expected number of uncovered tuples through column `c` that the partial row will cover:
    /// tuples fully assigned count 1, tuples with one unassigned column count the fraction of its
    /// values that would cover something new (the "density" of Bryce and Colbourn's DDA).
    fn density(&mut self, c: usize, row: &[Option<usize>]) -> f64 {
        let sp = self.sp;
        let mut gain = 0.0;
        self.work += sp.by_col[c].len() as u64;
        for &(q, _) in &sp.by_col[c] {
            let (mut id, mut free, mut nfree) = (sp.off[q], (0, 0), 0);
            let r = q * sp.t..(q + 1) * sp.t;
            for (&x, &m) in sp.cols[r.clone()].iter().zip(&sp.mul[r]) {
                match row[x] {
                    Some(v) => id += v * m,
                    None => (free, nfree) = ((x, m), nfree + 1),
                }
            }
            if nfree == 0 {
                gain += f64::from(u8::from(self.cnt[id] == 0));
            } else if nfree == 1 {
                let (x, m) = free;
                let open = (0..sp.radices[x]).filter(|&a| self.cnt[id + a * m] == 0).count();
                gain += open as f64 / sp.radices[x] as f64;
            }
        }
        gain
    }

    /// Change in the number of uncovered tuples if row `r` were overwritten with the tuple
    /// `vals` on combo `j`. Leaves the modified row in `self.tmp`.
    fn delta(&mut self, r: usize, j: usize, vals: &[usize]) -> i64 {
        let (sp, nc) = (self.sp, self.sp.combos());
        let (row, ids) = (&self.rows[r * sp.k..][..sp.k], &self.ids[r * nc..][..nc]);
        self.tmp.copy_from_slice(row);
        let mut changed = None;
        for (&c, &v) in sp.combo_cols(j).iter().zip(vals) {
            if row[c] != v {
                changed = if changed.is_none() { Some(c) } else { Some(usize::MAX) };
            }
            self.tmp[c] = v;
        }
        let mut d = 0i64;
        let mut score = |old: usize, new: usize| {
            d += i64::from(self.cnt[old] == 1) - i64::from(self.cnt[new] == 0);
        };
        match changed {
            // Fast path (the common case): one cell changes, so every affected tuple id moves
            // by the value difference times that column's multiplier.
            Some(c) if c != usize::MAX => {
                let (from, to) = (row[c], self.tmp[c]);
                for &(q, m) in &sp.by_col[c] {
                    score(ids[q], ids[q] + to * m - from * m);
                }
                self.work += sp.by_col[c].len() as u64;
            }
            _ => {
                for q in sp.touched(sp.combo_cols(j), row, &self.tmp) {
                    score(ids[q], sp.id(q, &self.tmp));
                    self.work += 1;
                }
            }
        }
        d
    }

    /// Writes `vals` into row `r` on combo `j`'s columns, updating coverage counts.
    fn apply(&mut self, r: usize, j: usize, vals: &[usize]) {
        let (sp, nc) = (self.sp, self.sp.combos());
        let row = r * sp.k..(r + 1) * sp.k;
        self.tmp.copy_from_slice(&self.rows[row.clone()]);
        for (&c, &v) in sp.combo_cols(j).iter().zip(vals) {
            self.tmp[c] = v;
        }
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        touched.extend(sp.touched(sp.combo_cols(j), &self.rows[row.clone()], &self.tmp));
        for &q in &touched {
            let new = sp.id(q, &self.tmp);
            self.dec(self.ids[r * nc + q]);
            self.inc(new);
            self.ids[r * nc + q] = new;
        }
        self.rows[row].copy_from_slice(&self.tmp);
        self.touched = touched;
    }

    /// Whether row `r` with `vals` written on combo `j` satisfies the constraint.
    fn move_allowed(&mut self, r: usize, j: usize, vals: &[usize]) -> bool {
        let k = self.sp.k;
        for (o, &v) in self.opt.iter_mut().zip(&self.rows[r * k..(r + 1) * k]) {
            *o = Some(v);
        }
        for (&c, &v) in self.sp.combo_cols(j).iter().zip(vals) {
            self.opt[c] = Some(v);
        }
        self.allowed.allowed(&self.opt)
    }

    /// Tabu search that tries to cover every needed tuple without adding rows.
    /// Returns true on success; false when the budget or patience runs out.
    ///
    /// Only the rows closest to the chosen tuple (fewest cells to change) are scored at first:
    /// those moves are cheap to evaluate and disturb the least, and on the benchmark plans this
    /// gives the same sizes as scoring every row at a fraction of the cost. The other rows are
    /// scored only when no close row admits an allowed, non-tabu move (typical under constraints).
    fn repair(&mut self) -> bool {
        let sp = self.sp;
        let k = sp.k;
        let n = self.rows.len() / k;
        let mut tabu_until = vec![0u64; n * k];
        let mut best = self.uncovered.len();
        // Larger arrays need proportionally more steps, since each step changes only one row.
        let patience = PATIENCE.max(PATIENCE_PER_ROW * n as u64);
        let (mut step, mut last_improve) = (0u64, 0u64);
        let mut vals = Vec::new();
        let mut mism = vec![0; n];
        let mut cand: Vec<(i64, usize)> = Vec::with_capacity(n);
        while !self.uncovered.is_empty() {
            if self.work >= WORK_BUDGET || step - last_improve > patience {
                return false;
            }
            step += 1;
            self.work += n as u64 + 20;
            let tau = self.uncovered[self.rng.below(self.uncovered.len())];
            let j = sp.decode(tau, &mut vals);
            let cols = sp.combo_cols(j);
            for (r, m) in mism.iter_mut().enumerate() {
                let row = &self.rows[r * k..(r + 1) * k];
                *m = cols.iter().zip(&vals).filter(|&(&c, &v)| row[c] != v).count();
            }
            let closest = mism.iter().copied().min().unwrap_or(0);
            for near in [true, false] {
                cand.clear();
                for r in (0..n).filter(|&r| (mism[r] == closest) == near) {
                    let d = self.delta(r, j, &vals);
                    let tabu = cols
                        .iter()
                        .zip(&vals)
                        .any(|(&c, &v)| self.rows[r * k + c] != v && tabu_until[r * k + c] > step);
                    // Aspiration: a tabu move is still taken if it reaches a new best.
                    if !tabu || self.uncovered.len() as i64 + d < best as i64 {
                        cand.push((d, r));
                    }
                }
                if let Some(r) = self.pick(&mut cand, j, &vals) {
                    for (&c, &v) in cols.iter().zip(&vals) {
                        if self.rows[r * k + c] != v {
                            tabu_until[r * k + c] = step + TENURE;
                        }
                    }
                    self.apply(r, j, &vals);
                    break;
                }
            }
            if self.uncovered.len() < best {
                best = self.uncovered.len();
                last_improve = step;
            }
        }
        true
    }

    /// The row of the best-scoring allowed candidate (lowest delta, random among ties).
    fn pick(&mut self, cand: &mut Vec<(i64, usize)>, j: usize, vals: &[usize]) -> Option<usize> {
        loop {
            let (mut pick, mut best_d, mut ties) = (None, i64::MAX, 0);
            for (i, &(d, _)) in cand.iter().enumerate() {
                if d < best_d {
                    (pick, best_d, ties) = (Some(i), d, 1);
                } else if d == best_d {
                    ties += 1;
                    if self.rng.below(ties) == 0 {
                        pick = Some(i);
                    }
                }
            }
            let r = cand[pick?].1;
            if self.move_allowed(r, j, vals) {
                return Some(r);
            }
            cand.swap_remove(pick?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(_: &[Option<usize>]) -> bool {
        true
    }

    /// All ascending `t`-subsets of `0..k` (independent of the library's enumeration).
    fn combos(k: usize, t: usize) -> Vec<Vec<usize>> {
        if t == 0 {
            return vec![Vec::new()];
        }
        let extend = |last| {
            combos(last, t - 1).into_iter().map(move |mut c| {
                c.push(last);
                c
            })
        };
        (0..k).flat_map(extend).collect()
    }

    fn key(radices: &[usize], cols: &[usize], row: &[usize]) -> usize {
        cols.iter().fold(0, |a, &c| a * radices[c] + row[c])
    }

    fn full(row: &[usize]) -> Vec<Option<usize>> {
        row.iter().map(|&v| Some(v)).collect()
    }

    /// Brute-force check: rows are well-formed and allowed, and every tuple that occurs in some
    /// allowed row of the full product is covered. Plans too large to enumerate are treated as
    /// unconstrained (every tuple valid); only unconstrained tests use such plans.
    fn check(radices: &[usize], t: usize, rows: &[Vec<usize>], allowed: &dyn Allowed) {
        let size = radices.iter().try_fold(1usize, |a, &r| a.checked_mul(r));
        let universe = size.is_some_and(|s| s <= 100_000).then(|| full_product(radices, allowed));
        for row in rows {
            assert_eq!(row.len(), radices.len());
            assert!(row.iter().zip(radices).all(|(&v, &r)| v < r));
            assert!(allowed.allowed(&full(row)), "row {row:?} violates constraint");
        }
        for cols in combos(radices.len(), t) {
            let size: usize = cols.iter().map(|&c| radices[c]).product();
            let mut valid = vec![universe.is_none(); size];
            for row in universe.iter().flatten() {
                valid[key(radices, &cols, row)] = true;
            }
            let mut seen = vec![false; size];
            for row in rows {
                seen[key(radices, &cols, row)] = true;
            }
            for i in 0..size {
                assert!(!valid[i] || seen[i], "tuple {i} on {cols:?} not covered");
            }
        }
    }

    const PAIRWISE: [(usize, usize, usize); 6] =
        [(3, 4, 9), (3, 10, 15), (3, 13, 17), (5, 10, 45), (4, 20, 37), (2, 100, 15)];

    #[test]
    fn pairwise_coverage_and_sizes() {
        for (r, k, max) in PAIRWISE {
            let radices = vec![r; k];
            let rows = generate(&radices, 2, 1, &free);
            check(&radices, 2, &rows, &free);
            assert!(rows.len() <= max, "{r}^{k}: {} rows", rows.len());
        }
    }

    #[test]
    fn three_way_coverage_and_sizes() {
        for (r, k, max) in [(3, 4, 33), (3, 10, 67), (3, 13, 74), (5, 10, 308)] {
            let radices = vec![r; k];
            let rows = generate(&radices, 3, 1, &free);
            check(&radices, 3, &rows, &free);
            assert!(rows.len() <= max, "{r}^{k}: {} rows", rows.len());
        }
    }

    #[test]
    fn mixed_radices_and_strength_four() {
        let radices = [2, 3, 4, 1, 5, 2, 3];
        for t in 1..=4 {
            let rows = generate(&radices, t, 7, &free);
            check(&radices, t, &rows, &free);
        }
        assert_eq!(generate(&radices, 1, 7, &free).len(), 5);
    }

    #[test]
    fn deterministic() {
        let radices = [3, 3, 4, 2, 5, 3, 3, 2];
        let c = |row: &[Option<usize>]| !(row[0] == Some(1) && row[2] == Some(3));
        for t in 2..=3 {
            assert_eq!(generate(&radices, t, 42, &c), generate(&radices, t, 42, &c));
        }
        assert_eq!(generate(&[3; 13], 2, 9, &free), generate(&[3; 13], 2, 9, &free));
    }

    #[test]
    fn pair_constraint() {
        // Column 0 value 0 excludes column 1 value 1.
        let c = |row: &[Option<usize>]| !(row[0] == Some(0) && row[1] == Some(1));
        let radices = [3, 3, 3, 3, 2, 4];
        for seed in 0..4 {
            let rows = generate(&radices, 2, seed, &c);
            check(&radices, 2, &rows, &c);
            assert!(rows.iter().all(|r| !(r[0] == 0 && r[1] == 1)));
        }
        let rows = generate(&radices, 3, 5, &c);
        check(&radices, 3, &rows, &c);
    }

    #[test]
    fn three_column_constraint() {
        // If columns 1 and 2 are equal, column 3 must be 0; column 4 = 2 forbids column 0 = 0.
        let c = |row: &[Option<usize>]| {
            let a = !matches!((row[1], row[2], row[3]), (Some(x), Some(y), Some(z)) if x == y && z != 0);
            let b = !(row[4] == Some(2) && row[0] == Some(0));
            a && b
        };
        let radices = [2, 3, 3, 3, 3, 2, 3];
        for t in 2..=3 {
            let rows = generate(&radices, t, 3, &c);
            check(&radices, t, &rows, &c);
        }
    }

    #[test]
    fn unsatisfiable_and_infeasible_tuples() {
        let never = |_: &[Option<usize>]| false;
        assert!(generate(&[2, 2, 2], 2, 0, &never).is_empty());
        // Column 0 may never be 1: tuples with it are invalid and must not be demanded.
        let c = |row: &[Option<usize>]| row[0] != Some(1);
        let rows = generate(&[2, 3, 3, 2], 2, 0, &c);
        check(&[2, 3, 3, 2], 2, &rows, &c);
        assert!(rows.iter().all(|r| r[0] == 0));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(generate(&[4], 1, 0, &free), vec![vec![0], vec![1], vec![2], vec![3]]);
        assert_eq!(generate(&[4], 2, 0, &free).len(), 4);
        assert_eq!(generate(&[1, 1, 1], 2, 0, &free), vec![vec![0, 0, 0]]);
        assert_eq!(generate(&[1, 1, 1, 1], 2, 0, &free), vec![vec![0, 0, 0, 0]]);
        assert_eq!(generate(&[2, 3], 4, 0, &free).len(), 6);
        assert_eq!(generate(&[2, 3, 2], 3, 0, &free).len(), 12);
        assert_eq!(generate(&[], 2, 0, &free), vec![Vec::<usize>::new()]);
        assert!(generate(&[2, 0, 3], 2, 0, &free).is_empty());
        let rows = generate(&[3, 1, 2, 1, 3], 2, 0, &free);
        check(&[3, 1, 2, 1, 3], 2, &rows, &free);
        assert_eq!(rows.len(), 9);
        let rows = generate(&[2, 2, 2], 0, 0, &free);
        check(&[2, 2, 2], 1, &rows, &free);
    }

    #[test]
    #[ignore]
    fn print_sizes() {
        let plans = [(3, 4), (3, 10), (3, 13), (5, 10), (4, 20), (2, 100)];
        for t in 2..=3 {
            for (r, k) in plans {
                if t == 3 && k > 13 {
                    continue;
                }
                let start = std::time::Instant::now();
                let rows = generate(&vec![r; k], t, 1, &free);
                let ms = start.elapsed().as_millis();
                println!("t={t} {r}^{k}: {} rows, {ms} ms", rows.len());
            }
        }
    }
}
