use chaos_test::prelude::*;

#[derive(Clone, Debug, Default)]
struct Bank {
    balance: i64,
}

#[chaos_init]
fn start(balance: i64) -> Bank {
    Bank { balance }
}

chaos_test::main!();
