use chaos_test::prelude::*;

#[derive(Clone, Debug, Default)]
struct Bank {
    balance: i64,
}

#[chaos_action(options = [1, 2], colour = "red")]
fn deposit(bank: &mut Bank, amount: i64) -> chaos_test::Result {
    bank.balance += amount;
    Ok(())
}

chaos_test::main!();
