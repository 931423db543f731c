use chaos_test::prelude::*;

#[derive(Clone, Debug, Default)]
struct Bank {
    balance: i64,
}

#[chaos_action(options = [1, 2])]
fn deposit(bank: Bank, amount: i64) -> chaos_test::Result {
    let _ = (bank, amount);
    Ok(())
}

chaos_test::main!();
