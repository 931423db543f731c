//! Schema migrations, run on every start: each step runs once, in order, in one transaction
//! with the version it brings the schema to. A hub never runs on a schema newer than it knows.

use anyhow::{Result, bail};

use super::db::{Backend, params, tx};

/// Each migration, in order; `{serial}` is the engine's auto-increment key.
const STEPS: &[&str] = &[
    // 1: organizations, teams, tokens, sessions, experiments, executions, events.
    "CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL, created BIGINT NOT NULL);
     CREATE TABLE teams (org TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
        frozen BIGINT NOT NULL DEFAULT 0, freeze_reason TEXT, created BIGINT NOT NULL,
        PRIMARY KEY (org, id));
     CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, org TEXT NOT NULL,
        team TEXT NOT NULL, admin BIGINT NOT NULL, label TEXT, created BIGINT NOT NULL,
        revoked BIGINT);
     CREATE TABLE sessions (hash TEXT PRIMARY KEY, token TEXT NOT NULL, csrf TEXT NOT NULL,
        expires BIGINT NOT NULL);
     CREATE TABLE experiments (id TEXT PRIMARY KEY, org TEXT NOT NULL, team TEXT NOT NULL,
        title TEXT NOT NULL, body TEXT NOT NULL, created BIGINT NOT NULL);
     CREATE INDEX experiments_team ON experiments (org, team, created);
     CREATE TABLE executions (id TEXT PRIMARY KEY, org TEXT NOT NULL, team TEXT NOT NULL,
        experiment TEXT NOT NULL, journal TEXT NOT NULL, status TEXT NOT NULL, kind TEXT NOT NULL,
        title TEXT NOT NULL, start_ms BIGINT, end_ms BIGINT, failures BIGINT NOT NULL DEFAULT 0,
        stopped BIGINT NOT NULL DEFAULT 0, interrupted_by TEXT, created BIGINT NOT NULL,
        updated BIGINT NOT NULL);
     CREATE INDEX executions_team ON executions (org, team, created);
     CREATE TABLE events (seq {serial}, execution TEXT NOT NULL, event_id TEXT NOT NULL,
        type TEXT NOT NULL, time TEXT, body TEXT NOT NULL, created BIGINT NOT NULL,
        UNIQUE (execution, event_id));",
    // 2: an execution's timeline is read in arrival order.
    "CREATE INDEX events_timeline ON events (execution, seq)",
];

/// Brings the schema of `db` up to date.
pub fn run(db: &dyn Backend) -> Result<()> {
    let serial = db.serial();
    tx(db, |t| {
        t.exec("CREATE TABLE IF NOT EXISTS hub_schema (version BIGINT NOT NULL)", &[])?;
        let rows = t.query("SELECT version FROM hub_schema", &[])?;
        let current = match rows.first() {
            Some(r) => r.int(0),
            None => {
                t.exec("INSERT INTO hub_schema (version) VALUES (0)", &[])?;
                0
            }
        };
        if current as usize > STEPS.len() {
            bail!(
                "the database's schema is version {current}, newer than this hub knows ({}): upgrade cargo-chaos",
                STEPS.len()
            );
        }
        for (i, step) in STEPS.iter().enumerate().skip(current as usize) {
            for stmt in step.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                t.exec(&stmt.replace("{serial}", serial), &[])?;
            }
            t.exec("UPDATE hub_schema SET version = ?", params![(i + 1) as i64])?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::sqlite::Sqlite;

    fn version(db: &dyn Backend) -> i64 {
        tx(db, |t| Ok(t.query("SELECT version FROM hub_schema", &[])?[0].int(0))).unwrap()
    }

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        let db = Sqlite::open(&path).unwrap();
        run(&db).unwrap();
        run(&db).unwrap();
        assert_eq!(version(&db), STEPS.len() as i64);
        tx(&db, |t| t.exec("UPDATE hub_schema SET version = 99", &[])).unwrap();
        let err = run(&db).unwrap_err().to_string();
        assert!(err.contains("version 99, newer than this hub knows"), "{err}");
    }
}
