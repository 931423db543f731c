//! Walks over the ledger: every order of funding, transfers, withdrawals and month-end fees
//! must conserve money and overdraw nobody. `cargo test -p ledger-example --test walks`
//! passes; add `--features planted-bug` and the walks that transfer a funded account to
//! itself fail, naming the transfer that created money.

use chaos_test::prelude::*;
use ledger_example::{Ledger, LedgerError};

/// Which accounts a transfer moves money between.
#[derive(Debug, Clone, Copy)]
enum Route {
    AToB,
    BToA,
    AToA,
}

#[chaos_init]
fn two_accounts() -> Ledger {
    let mut ledger = Ledger::default();
    ledger.open("a");
    ledger.open("b");
    ledger
}

#[chaos_action(options = [10, 100])]
fn fund(ledger: &mut Ledger, cents: i64) -> chaos_test::Result {
    ledger.deposit("a", cents)?;
    Ok(())
}

#[chaos_action(options = [Route::AToB, Route::BToA, Route::AToA])]
fn transfer(ledger: &mut Ledger, route: Route) -> chaos_test::Result {
    let (from, to) = match route {
        Route::AToB => ("a", "b"),
        Route::BToA => ("b", "a"),
        Route::AToA => ("a", "a"),
    };
    refusal_is_fine(ledger.transfer(from, to, 40))
}

#[chaos_action(options = [1, 60])]
fn withdraw(ledger: &mut Ledger, cents: i64) -> chaos_test::Result {
    refusal_is_fine(ledger.withdraw("a", cents))
}

#[chaos_action(options = [0, 2])]
fn month_end(ledger: &mut Ledger, fee: i64) -> chaos_test::Result {
    ledger.close_month(fee);
    chaos_test::ensure!(ledger.withdraw("a", 1) == Err(LedgerError::Closed), "a closed ledger paid out");
    ledger.reopen();
    Ok(())
}

#[chaos_action]
fn money_is_conserved(ledger: &mut Ledger) -> chaos_test::Result {
    chaos_test::ensure!(
        ledger.total() == ledger.expected_total(),
        "balances sum to {} but {} came in net: {:?}",
        ledger.total(),
        ledger.expected_total(),
        ledger
    );
    chaos_test::ensure!(ledger.overdrawn().is_empty(), "overdrawn: {:?}", ledger.overdrawn());
    Ok(())
}

/// The ledger refusing an operation it cannot do is correct behaviour, not a failure.
fn refusal_is_fine(result: Result<(), LedgerError>) -> chaos_test::Result {
    match result {
        Ok(()) | Err(LedgerError::InsufficientFunds { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

chaos_test::main!();
