//! `cargo chaos hub`: the self-hosted server that receives published experiments and
//! executions (the Chaos Toolkit cloud client's routes), keeps them in SQLite or PostgreSQL,
//! and shows them on server-rendered pages with the policy switches.
//!
//! Layers, each a file: `api` and `pages` (HTTP) -> `store` (what is kept, one transaction
//! per call) -> `db` (one SQL dialect) -> `sqlite` / `postgres`. `journal` indexes journals;
//! `auth` holds the secrets; `input` reads requests; `migrations` the schema.

mod api;
mod auth;
mod db;
mod errors;
mod html;
mod input;
mod journal;
mod migrations;
mod pages;
mod postgres;
mod server;
mod sqlite;
mod store;

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

pub use server::Hub;
use store::Store;

/// `cargo chaos hub` options.
#[derive(Debug, Args)]
pub struct HubArgs {
    /// Address to listen on (port 0: any free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The store: a SQLite file (created on first start) or a `postgres://` URL.
    #[arg(long, default_value = "chaos-hub.db", global = true)]
    db: String,
    /// Request bodies larger than this many bytes are refused with 413.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    max_body: usize,
    #[command(subcommand)]
    command: Option<HubCommand>,
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// Manage the bearer tokens that publish to the hub and sign in to its pages.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token for a team of an organization (both made when new); prints it once.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "default")]
        team: String,
        /// The token may also manage the organization's tokens on the pages.
        #[arg(long)]
        admin: bool,
        /// A note to tell tokens apart.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a token, by its id (from `list`) or the token itself.
    Revoke { token: String },
    /// List an organization's tokens (ids, never the secrets).
    List {
        #[arg(long)]
        org: String,
    },
}

/// Checks an organization or team name: it appears in URLs.
fn name_ok(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    anyhow::ensure!(ok, "{what} {name:?} must be 1 to 64 of A-Z a-z 0-9 - _ .");
    Ok(())
}

fn open(spec: &str) -> Result<Store> {
    let shown = postgres::redact(spec);
    Ok(Store::new(db::open(spec).with_context(|| format!("open the hub's store {shown:?}"))?))
}

/// Runs `cargo chaos hub`.
pub fn run(args: HubArgs) -> Result<u8> {
    match args.command {
        Some(HubCommand::Token(cmd)) => token(&args.db, cmd),
        None => serve(&args.listen, &args.db, args.max_body),
    }
}

fn token(db: &str, cmd: TokenCommand) -> Result<u8> {
    let store = open(db)?;
    match cmd {
        TokenCommand::Create { org, team, admin, label } => {
            name_ok("organization", &org)?;
            name_ok("team", &team)?;
            let (id, secret) = store.create_token(&org, &team, admin, &label)?;
            eprintln!(
                "token {id} for organization {org}, team {team}{}: shown once, keep it",
                if admin { " (admin)" } else { "" }
            );
            println!("{secret}");
            Ok(0)
        }
        TokenCommand::Revoke { token } => {
            if store.revoke_token(None, &token)? {
                eprintln!("revoked");
                Ok(0)
            } else {
                anyhow::bail!("no live token {token:?}: `cargo chaos hub token list --org ORG` shows the ids")
            }
        }
        TokenCommand::List { org } => {
            let mut all = Vec::new();
            loop {
                let page = store.tokens(&org, 500, all.len() as i64)?;
                let done = page.items.is_empty();
                all.extend(page.items);
                if done {
                    break;
                }
            }
            for t in all {
                let state = if t.revoked { "revoked" } else { "live" };
                println!(
                    "{}\t{}\t{}\t{state}\t{}",
                    t.id,
                    t.team,
                    if t.admin { "admin" } else { "member" },
                    t.label
                );
            }
            Ok(0)
        }
    }
}

fn serve(listen: &str, db: &str, max_body: usize) -> Result<u8> {
    let store = open(db)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the hub's runtime")?;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listen on {listen}"))?;
        let addr = listener.local_addr()?;
        println!("chaos hub listening on http://{addr}");
        let hub = Hub { store: Arc::new(store), max_body };
        // SIGINT or SIGTERM: stop accepting, finish the requests in flight.
        let shutdown = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            }
        };
        server::serve(listener, hub, shutdown).await
    })?;
    Ok(0)
}
