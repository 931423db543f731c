//! Everything the hub keeps, as operations over a [`Backend`]: one transaction per call, so
//! a request's writes land whole or not at all. Every read of a team's data names the
//! organization and team, so a token never reaches another organization's rows.

use anyhow::Result;

use super::auth::{hash, new_id, new_secret};
use super::db::{Backend, Row, params, tx};
use super::journal::Summary;

/// Who a request acts for: a token's organization, team and rights.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub token_id: String,
    pub org: String,
    pub team: String,
    pub admin: bool,
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: String,
    pub team: String,
    pub admin: bool,
    pub label: String,
    pub created: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub frozen: bool,
    pub freeze_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Experiment {
    pub id: String,
    pub title: String,
    pub created: i64,
    pub body: String,
}

/// An execution's index row; `journal` is the journal as sent (empty in lists).
#[derive(Debug, Clone)]
pub struct Execution {
    pub id: String,
    pub experiment: String,
    pub status: String,
    pub kind: String,
    pub title: String,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub failures: i64,
    pub stopped: bool,
    pub interrupted_by: Option<String>,
    pub created: i64,
    pub journal: String,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: String,
    pub time: Option<String>,
    pub body: String,
}

/// Filters of the executions list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub experiment: Option<String>,
}

/// A page of a list and the total it is part of.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A policy that disallows an execution to go on.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub reason: String,
}

pub const FREEZE: &str = "team-freeze";
pub const STOP: &str = "execution-stop";

pub struct Store {
    db: Box<dyn Backend>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

const EXEC_COLS: &str =
    "id, experiment, status, kind, title, start_ms, end_ms, failures, stopped, interrupted_by, created";

fn execution(r: &Row, journal: String) -> Execution {
    Execution {
        id: r.text(0),
        experiment: r.text(1),
        status: r.text(2),
        kind: r.text(3),
        title: r.text(4),
        start_ms: r.opt_int(5),
        end_ms: r.opt_int(6),
        failures: r.int(7),
        stopped: r.int(8) != 0,
        interrupted_by: r.opt_text(9),
        created: r.int(10),
        journal,
    }
}

impl Store {
    pub fn new(db: Box<dyn Backend>) -> Store {
        Store { db }
    }

    fn db(&self) -> &dyn Backend {
        self.db.as_ref()
    }

    // --- tokens and sessions ---

    /// A new token for `org`/`team` (both made when new): its id and the secret, which is
    /// never stored (only its hash).
    pub fn create_token(&self, org: &str, team: &str, admin: bool, label: &str) -> Result<(String, String)> {
        let secret = new_secret("chs_");
        let h = hash(&secret);
        let id = h[..12].to_owned();
        let now = now_ms();
        tx(self.db(), |t| {
            if t.query("SELECT id FROM orgs WHERE id = ?", params![org])?.is_empty() {
                t.exec("INSERT INTO orgs (id, name, created) VALUES (?, ?, ?)", params![org, org, now])?;
            }
            if t.query("SELECT id FROM teams WHERE org = ? AND id = ?", params![org, team])?.is_empty() {
                t.exec(
                    "INSERT INTO teams (org, id, name, frozen, created) VALUES (?, ?, ?, 0, ?)",
                    params![org, team, team, now],
                )?;
            }
            t.exec(
                "INSERT INTO tokens (id, hash, org, team, admin, label, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                params![&id, &h, org, team, admin, label, now],
            )?;
            Ok(())
        })?;
        Ok((id, secret))
    }

    /// Revokes the token with this id (or this secret), within `org` when given; whether one was.
    pub fn revoke_token(&self, org: Option<&str>, id_or_secret: &str) -> Result<bool> {
        let h = hash(id_or_secret);
        let now = now_ms();
        tx(self.db(), |t| {
            let n = t.exec(
                "UPDATE tokens SET revoked = ? WHERE (id = ? OR hash = ?) AND revoked IS NULL AND (CAST(? AS TEXT) IS NULL OR org = ?)",
                params![now, id_or_secret, &h, org, org],
            )?;
            t.exec(
                "DELETE FROM sessions WHERE token IN (SELECT id FROM tokens WHERE revoked IS NOT NULL)",
                &[],
            )?;
            Ok(n > 0)
        })
    }

    /// A page of an organization's tokens, oldest first.
    pub fn tokens(&self, org: &str, limit: i64, offset: i64) -> Result<Page<TokenInfo>> {
        tx(self.db(), |t| {
            let total = t.query("SELECT COUNT(*) FROM tokens WHERE org = ?", params![org])?[0].int(0);
            let rows = t.query(
                "SELECT id, team, admin, label, created, revoked FROM tokens WHERE org = ?
                 ORDER BY created, id LIMIT ? OFFSET ?",
                params![org, limit, offset],
            )?;
            let items = rows
                .iter()
                .map(|r| TokenInfo {
                    id: r.text(0),
                    team: r.text(1),
                    admin: r.int(2) != 0,
                    label: r.text(3),
                    created: r.int(4),
                    revoked: r.opt_int(5).is_some(),
                })
                .collect();
            Ok(Page { items, total })
        })
    }

    /// The principal of a bearer token, if it is known and not revoked.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Principal>> {
        let h = hash(secret);
        let rows = tx(self.db(), |t| {
            t.query("SELECT id, org, team, admin FROM tokens WHERE hash = ? AND revoked IS NULL", params![&h])
        })?;
        Ok(rows.first().map(principal))
    }

    /// A session for a signed-in token: the cookie value and the session's CSRF token.
    pub fn create_session(&self, token_id: &str, ttl_ms: i64) -> Result<(String, String)> {
        let cookie = new_secret("");
        let csrf = new_secret("");
        let now = now_ms();
        tx(self.db(), |t| {
            t.exec("DELETE FROM sessions WHERE expires < ?", params![now])?;
            t.exec(
                "INSERT INTO sessions (hash, token, csrf, expires) VALUES (?, ?, ?, ?)",
                params![hash(&cookie), token_id, &csrf, now + ttl_ms],
            )?;
            Ok(())
        })?;
        Ok((cookie, csrf))
    }

    /// The principal and CSRF token of a live session.
    pub fn session(&self, cookie: &str) -> Result<Option<(Principal, String)>> {
        let rows = tx(self.db(), |t| {
            t.query(
                "SELECT k.id, k.org, k.team, k.admin, s.csrf FROM sessions s JOIN tokens k ON k.id = s.token
                 WHERE s.hash = ? AND s.expires > ? AND k.revoked IS NULL",
                params![hash(cookie), now_ms()],
            )
        })?;
        Ok(rows.first().map(|r| (principal(r), r.text(4))))
    }

    pub fn end_session(&self, cookie: &str) -> Result<()> {
        tx(self.db(), |t| t.exec("DELETE FROM sessions WHERE hash = ?", params![hash(cookie)]).map(|_| ()))
    }

    // --- organizations and teams ---

    pub fn org_name(&self, org: &str) -> Result<Option<String>> {
        let rows = tx(self.db(), |t| t.query("SELECT name FROM orgs WHERE id = ?", params![org]))?;
        Ok(rows.first().map(|r| r.text(0)))
    }

    pub fn team(&self, org: &str, team: &str) -> Result<Option<Team>> {
        let rows = tx(self.db(), |t| {
            t.query(
                "SELECT id, name, frozen, freeze_reason FROM teams WHERE org = ? AND id = ?",
                params![org, team],
            )
        })?;
        Ok(rows.first().map(|r| Team {
            id: r.text(0),
            name: r.text(1),
            frozen: r.int(2) != 0,
            freeze_reason: r.opt_text(3),
        }))
    }

    pub fn set_freeze(&self, org: &str, team: &str, frozen: bool, reason: Option<&str>) -> Result<bool> {
        tx(self.db(), |t| {
            t.exec(
                "UPDATE teams SET frozen = ?, freeze_reason = ? WHERE org = ? AND id = ?",
                params![frozen, reason, org, team],
            )
            .map(|n| n > 0)
        })
    }

    // --- experiments ---

    pub fn add_experiment(&self, org: &str, team: &str, title: &str, body: &str) -> Result<String> {
        let id = new_id();
        tx(self.db(), |t| {
            t.exec(
                "INSERT INTO experiments (id, org, team, title, body, created) VALUES (?, ?, ?, ?, ?, ?)",
                params![&id, org, team, title, body, now_ms()],
            )
        })?;
        Ok(id)
    }

    pub fn experiment(&self, org: &str, team: &str, id: &str) -> Result<Option<Experiment>> {
        let rows = tx(self.db(), |t| {
            t.query(
                "SELECT id, title, created, body FROM experiments WHERE org = ? AND team = ? AND id = ?",
                params![org, team, id],
            )
        })?;
        Ok(rows.first().map(|r| Experiment {
            id: r.text(0),
            title: r.text(1),
            created: r.int(2),
            body: r.text(3),
        }))
    }

    pub fn experiments(&self, org: &str, team: &str, limit: i64, offset: i64) -> Result<Page<Experiment>> {
        tx(self.db(), |t| {
            let total = t
                .query("SELECT COUNT(*) FROM experiments WHERE org = ? AND team = ?", params![org, team])?[0]
                .int(0);
            let rows = t.query(
                "SELECT id, title, created FROM experiments WHERE org = ? AND team = ?
                 ORDER BY created DESC, id LIMIT ? OFFSET ?",
                params![org, team, limit, offset],
            )?;
            let items = rows
                .iter()
                .map(|r| Experiment {
                    id: r.text(0),
                    title: r.text(1),
                    created: r.int(2),
                    body: String::new(),
                })
                .collect();
            Ok(Page { items, total })
        })
    }

    // --- executions ---

    /// Stores a new execution of experiment `exp`; `None` when the team has no such experiment.
    pub fn add_execution(
        &self,
        org: &str,
        team: &str,
        exp: &str,
        journal: &str,
        s: &Summary,
    ) -> Result<Option<String>> {
        let id = new_id();
        let now = now_ms();
        tx(self.db(), |t| {
            if t.query(
                "SELECT id FROM experiments WHERE org = ? AND team = ? AND id = ?",
                params![org, team, exp],
            )?
            .is_empty()
            {
                return Ok(None);
            }
            t.exec(
                "INSERT INTO executions (id, org, team, experiment, journal, status, kind, title, start_ms, end_ms,
                   failures, stopped, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                params![
                    &id, org, team, exp, journal, &s.status, &s.kind, &s.title, s.start_ms, s.end_ms, s.failures, now,
                    now
                ],
            )?;
            Ok(Some(id.clone()))
        })
    }

    /// One execution of the team (and of experiment `exp` when given), with its journal.
    pub fn execution(&self, org: &str, team: &str, exp: Option<&str>, id: &str) -> Result<Option<Execution>> {
        let rows = tx(self.db(), |t| {
            t.query(
                &format!(
                    "SELECT {EXEC_COLS}, journal FROM executions
                     WHERE org = ? AND team = ? AND id = ? AND (CAST(? AS TEXT) IS NULL OR experiment = ?)"
                ),
                params![org, team, id, exp, exp],
            )
        })?;
        Ok(rows.first().map(|r| execution(r, r.text(11))))
    }

    /// Replaces an execution's journal; whether it exists.
    pub fn update_execution(
        &self,
        org: &str,
        team: &str,
        exp: &str,
        id: &str,
        journal: &str,
        s: &Summary,
    ) -> Result<bool> {
        tx(self.db(), |t| {
            t.exec(
                "UPDATE executions SET journal = ?, status = ?, kind = ?, title = ?, start_ms = ?, end_ms = ?,
                   failures = ?, updated = ?
                 WHERE org = ? AND team = ? AND experiment = ? AND id = ?",
                params![
                    journal, &s.status, &s.kind, &s.title, s.start_ms, s.end_ms, s.failures, now_ms(), org, team, exp,
                    id
                ],
            )
            .map(|n| n > 0)
        })
    }

    pub fn executions(
        &self,
        org: &str,
        team: &str,
        f: &Filter,
        limit: i64,
        offset: i64,
    ) -> Result<Page<Execution>> {
        tx(self.db(), |t| {
            let cond = "org = ? AND team = ? AND (CAST(? AS TEXT) IS NULL OR status = ?) AND (CAST(? AS TEXT) IS NULL OR kind = ?)
                        AND (CAST(? AS TEXT) IS NULL OR experiment = ?)";
            let p = params![
                org,
                team,
                f.status.clone(),
                f.status.clone(),
                f.kind.clone(),
                f.kind.clone(),
                f.experiment.clone(),
                f.experiment.clone()
            ];
            let total = t.query(&format!("SELECT COUNT(*) FROM executions WHERE {cond}"), p)?[0].int(0);
            let mut p = p.to_vec();
            p.push(limit.into());
            p.push(offset.into());
            let rows = t.query(
                &format!("SELECT {EXEC_COLS} FROM executions WHERE {cond} ORDER BY created DESC, id LIMIT ? OFFSET ?"),
                &p,
            )?;
            Ok(Page { items: rows.iter().map(|r| execution(r, String::new())).collect(), total })
        })
    }

    /// Stops (or lets go on) one execution; whether it exists.
    pub fn set_stop(&self, org: &str, team: &str, id: &str, stopped: bool) -> Result<bool> {
        tx(self.db(), |t| {
            t.exec(
                "UPDATE executions SET stopped = ? WHERE org = ? AND team = ? AND id = ?",
                params![stopped, org, team, id],
            )
            .map(|n| n > 0)
        })
    }

    /// The policies that disallow execution `id` to go on (none: allowed), and records on the
    /// execution which interrupted it. `None` when there is no such execution.
    pub fn policies(&self, org: &str, team: &str, exp: &str, id: &str) -> Result<Option<Vec<Policy>>> {
        tx(self.db(), |t| {
            let rows = t.query(
                "SELECT e.stopped, m.frozen, m.freeze_reason, e.interrupted_by FROM executions e
                 JOIN teams m ON m.org = e.org AND m.id = e.team
                 WHERE e.org = ? AND e.team = ? AND e.experiment = ? AND e.id = ?",
                params![org, team, exp, id],
            )?;
            let Some(r) = rows.first() else { return Ok(None) };
            let mut out = Vec::new();
            if r.int(1) != 0 {
                let reason = r.opt_text(2).unwrap_or_else(|| format!("team {team} froze all chaos"));
                out.push(Policy { name: FREEZE.into(), reason });
            }
            if r.int(0) != 0 {
                out.push(Policy { name: STOP.into(), reason: "this execution was stopped".into() });
            }
            if !out.is_empty() && r.opt_text(3).is_none() {
                let names = out.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
                t.exec("UPDATE executions SET interrupted_by = ? WHERE id = ?", params![names, id])?;
            }
            Ok(Some(out))
        })
    }

    // --- events ---

    /// Stores an event of execution `exec` once per event id. `None` when there is no such
    /// execution; else whether the event was new.
    #[allow(clippy::too_many_arguments)]
    pub fn add_event(
        &self,
        org: &str,
        team: &str,
        exp: &str,
        exec: &str,
        event_id: &str,
        kind: &str,
        time: Option<&str>,
        body: &str,
    ) -> Result<Option<bool>> {
        tx(self.db(), |t| {
            if t.query(
                "SELECT id FROM executions WHERE org = ? AND team = ? AND experiment = ? AND id = ?",
                params![org, team, exp, exec],
            )?
            .is_empty()
            {
                return Ok(None);
            }
            let n = t.exec(
                "INSERT INTO events (execution, event_id, type, time, body, created) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (execution, event_id) DO NOTHING",
                params![exec, event_id, kind, time, body, now_ms()],
            )?;
            Ok(Some(n > 0))
        })
    }

    /// A page of an execution's events in the order they arrived (the execution is checked
    /// to be the team's by the caller).
    pub fn events(&self, exec: &str, limit: i64, offset: i64) -> Result<Page<Event>> {
        tx(self.db(), |t| {
            let total = t.query("SELECT COUNT(*) FROM events WHERE execution = ?", params![exec])?[0].int(0);
            let rows = t.query(
                "SELECT type, time, body FROM events WHERE execution = ? ORDER BY seq LIMIT ? OFFSET ?",
                params![exec, limit, offset],
            )?;
            let items = rows
                .iter()
                .map(|r| Event { kind: r.text(0), time: r.opt_text(1), body: r.text(2) })
                .collect();
            Ok(Page { items, total })
        })
    }
}

fn principal(r: &Row) -> Principal {
    Principal { token_id: r.text(0), org: r.text(1), team: r.text(2), admin: r.int(3) != 0 }
}
