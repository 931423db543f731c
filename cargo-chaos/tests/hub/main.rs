//! Tests of `cargo chaos hub`: a real hub process on loopback, on SQLite and on a real
//! PostgreSQL, driven over HTTP (and by headless Chromium for the pages).

mod api;
mod browser;
mod cli;
mod durability;
mod pages;
mod support;
