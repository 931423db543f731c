use chaos_test::prelude::*;

#[derive(Clone, Debug, Default)]
struct Bank {
    balance: i64,
}

#[chaos_action(serial, options = ["v2"])]
fn migrate(bank: &mut Bank, to: &str) -> i64 {
    bank.balance + to.len() as i64
}

chaos_test::main!();
