//! The one SQL dialect the store speaks, and the two backends behind it.
//!
//! The store's SQL is written once with `?` placeholders and types both engines share
//! (`TEXT`, `BIGINT`); a backend runs a closure inside one transaction, so a request's writes
//! land whole or not at all. PostgreSQL's backend rewrites `?` to `$n`; the migrations'
//! `{serial}` becomes each engine's auto-increment key.

use anyhow::Result;

/// A parameter: typed even when null, because PostgreSQL wants to know.
#[derive(Debug, Clone)]
pub enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(Some(v))
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Param {
        Param::Int(Some(v as i64))
    }
}
impl From<Option<i64>> for Param {
    fn from(v: Option<i64>) -> Param {
        Param::Int(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(Some(v.to_owned()))
    }
}
impl From<&String> for Param {
    fn from(v: &String) -> Param {
        Param::Text(Some(v.clone()))
    }
}
impl From<String> for Param {
    fn from(v: String) -> Param {
        Param::Text(Some(v))
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Param {
        Param::Text(v)
    }
}
impl From<Option<&str>> for Param {
    fn from(v: Option<&str>) -> Param {
        Param::Text(v.map(str::to_owned))
    }
}

/// Shorthand for a parameter list: `params![a, b]`.
macro_rules! params {
    ($($x:expr),* $(,)?) => { &[$($crate::hub::db::Param::from($x)),*] };
}
pub(crate) use params;

/// A value read back.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// One row, read by column index.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    pub fn text(&self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match self.0.get(i) {
            Some(Value::Text(s)) => Some(s.clone()),
            Some(Value::Int(n)) => Some(n.to_string()),
            _ => None,
        }
    }
    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }
    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self.0.get(i) {
            Some(Value::Int(n)) => Some(*n),
            Some(Value::Text(s)) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Statements inside one transaction.
pub trait Tx {
    /// Runs a statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, params: &[Param]) -> Result<u64>;
    /// Runs a query; its rows.
    fn query(&mut self, sql: &str, params: &[Param]) -> Result<Vec<Row>>;
}

/// A database: runs closures in transactions (committed when the closure returns `Ok`).
pub trait Backend: Send + Sync {
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
    /// The engine's auto-increment primary key column type, for the migrations.
    fn serial(&self) -> &'static str;
}

/// Runs `f` in one transaction of `db` and returns its value.
pub fn tx<T>(db: &dyn Backend, mut f: impl FnMut(&mut dyn Tx) -> Result<T>) -> Result<T> {
    let mut out = None;
    db.transaction(&mut |t| {
        out = Some(f(t)?);
        Ok(())
    })?;
    Ok(out.expect("transaction ran its closure"))
}

/// Opens the store `spec` names: a `postgres://` or `postgresql://` URL, else a SQLite file.
pub fn open(spec: &str) -> Result<Box<dyn Backend>> {
    let db: Box<dyn Backend> = if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Box::new(super::postgres::Postgres::connect(spec)?)
    } else {
        Box::new(super::sqlite::Sqlite::open(std::path::Path::new(spec))?)
    };
    super::migrations::run(db.as_ref())?;
    Ok(db)
}
