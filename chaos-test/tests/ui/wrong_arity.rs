use chaos_test::prelude::*;

#[derive(Clone, Debug, Default)]
struct Bank {
    balance: i64,
}

#[chaos_action(options = [1, 2])]
fn deposit(bank: &mut Bank) -> chaos_test::Result {
    bank.balance += 1;
    Ok(())
}

#[chaos_action]
fn check(bank: &mut Bank, extra: i64) -> chaos_test::Result {
    bank.balance += extra;
    Ok(())
}

chaos_test::main!();
