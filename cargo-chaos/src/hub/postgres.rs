//! The PostgreSQL backend: a small pool of synchronous clients (the store runs on blocking
//! threads), for teams whose hub outgrows one machine's disk.

use std::sync::{Condvar, Mutex};

use anyhow::{Context, Result};
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::db::{Backend, Param, Row, Tx, Value};

const POOL: usize = 8;

pub struct Postgres {
    url: String,
    idle: Mutex<(Vec<Client>, usize)>,
    freed: Condvar,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Postgres")
    }
}

impl Postgres {
    pub fn connect(url: &str) -> Result<Postgres> {
        let first = Client::connect(url, NoTls)
            .with_context(|| format!("connect to PostgreSQL at {}", redact(url)))?;
        Ok(Postgres { url: url.to_owned(), idle: Mutex::new((vec![first], 1)), freed: Condvar::new() })
    }

    fn take(&self) -> Result<Client> {
        let mut g = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(c) = g.0.pop() {
                if !c.is_closed() {
                    return Ok(c);
                }
                g.1 -= 1;
                continue;
            }
            if g.1 < POOL {
                g.1 += 1;
                drop(g);
                return Client::connect(&self.url, NoTls).map_err(|e| {
                    self.idle.lock().unwrap_or_else(|e| e.into_inner()).1 -= 1;
                    anyhow::Error::new(e).context(format!("connect to PostgreSQL at {}", redact(&self.url)))
                });
            }
            g = self.freed.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn give(&self, c: Client) {
        let mut g = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if c.is_closed() {
            g.1 -= 1;
        } else {
            g.0.push(c);
        }
        self.freed.notify_one();
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// `?` placeholders to `$1, $2, ...` (the store's SQL has no `?` inside literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn boxed(params: &[Param]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Int(v) => Box::new(*v),
                Param::Text(v) => Box::new(v.clone()),
            }
        })
        .collect()
}

struct PgTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

impl Tx for PgTx<'_, '_> {
    fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64> {
        let b = boxed(params);
        let refs: Vec<&(dyn ToSql + Sync)> = b.iter().map(|p| p.as_ref()).collect();
        Ok(self.0.execute(numbered(sql).as_str(), &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>> {
        let b = boxed(params);
        let refs: Vec<&(dyn ToSql + Sync)> = b.iter().map(|p| p.as_ref()).collect();
        let rows = self.0.query(numbered(sql).as_str(), &refs)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut row = Vec::with_capacity(r.len());
            for (i, col) in r.columns().iter().enumerate() {
                let t = col.type_();
                let v = if *t == Type::INT8 {
                    r.get::<_, Option<i64>>(i).map(Value::Int)
                } else if *t == Type::INT4 {
                    r.get::<_, Option<i32>>(i).map(|v| Value::Int(v.into()))
                } else if *t == Type::BOOL {
                    r.get::<_, Option<bool>>(i).map(|v| Value::Int(v.into()))
                } else {
                    r.get::<_, Option<String>>(i).map(Value::Text)
                };
                row.push(v.unwrap_or(Value::Null));
            }
            out.push(Row(row));
        }
        Ok(out)
    }
}

impl Backend for Postgres {
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut client = self.take()?;
        let result = (|| {
            let mut tx = client.transaction()?;
            f(&mut PgTx(&mut tx))?;
            tx.commit()?;
            Ok(())
        })();
        self.give(client);
        result
    }

    fn serial(&self) -> &'static str {
        "BIGSERIAL PRIMARY KEY"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(numbered("a = ? AND b = ?"), "a = $1 AND b = $2");
    }

    #[test]
    fn passwords_are_left_out_of_messages() {
        assert_eq!(redact("postgres://u:secret@h:5/db"), "postgres://…@h:5/db");
    }
}
