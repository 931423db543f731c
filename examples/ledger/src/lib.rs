//! A small double-entry account ledger: accounts, deposits, withdrawals, transfers, and a
//! month-end close that charges a fee. Its walks (`tests/walks.rs`) check that money is
//! conserved and no account is overdrawn, whatever order the operations come in.
//!
//! Build with `--features planted-bug` to switch on a real bug: a transfer reads the target's
//! balance before debiting the source, so a transfer of an account to itself creates money.

use std::collections::BTreeMap;
use std::fmt;

/// What the ledger refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerError {
    /// No account of that name.
    UnknownAccount(String),
    /// Not enough money for the operation.
    InsufficientFunds { account: String, balance: i64, wanted: i64 },
    /// Amounts are positive.
    NonPositiveAmount(i64),
    /// The ledger is closed for the month.
    Closed,
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::UnknownAccount(a) => write!(f, "unknown account `{a}`"),
            LedgerError::InsufficientFunds { account, balance, wanted } => {
                write!(f, "account `{account}` holds {balance}, {wanted} wanted")
            }
            LedgerError::NonPositiveAmount(n) => write!(f, "amount {n} is not positive"),
            LedgerError::Closed => write!(f, "the ledger is closed"),
        }
    }
}

impl std::error::Error for LedgerError {}

/// Balances in cents, plus the money that entered and left through the ledger's edges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    balances: BTreeMap<String, i64>,
    deposited: i64,
    withdrawn: i64,
    fees: i64,
    closed: bool,
}

impl Ledger {
    /// Opens an account with a zero balance (opening twice keeps the balance).
    pub fn open(&mut self, account: &str) {
        self.balances.entry(account.to_string()).or_insert(0);
    }

    /// The balance of an account.
    pub fn balance(&self, account: &str) -> Result<i64, LedgerError> {
        self.balances.get(account).copied().ok_or_else(|| LedgerError::UnknownAccount(account.to_string()))
    }

    /// Money entering the ledger.
    pub fn deposit(&mut self, account: &str, amount: i64) -> Result<(), LedgerError> {
        self.check_open(amount)?;
        *self.slot(account)? += amount;
        self.deposited += amount;
        Ok(())
    }

    /// Money leaving the ledger.
    pub fn withdraw(&mut self, account: &str, amount: i64) -> Result<(), LedgerError> {
        self.check_open(amount)?;
        self.debit(account, amount)?;
        self.withdrawn += amount;
        Ok(())
    }

    /// Moves money between two accounts (possibly the same one).
    pub fn transfer(&mut self, from: &str, to: &str, amount: i64) -> Result<(), LedgerError> {
        self.check_open(amount)?;
        self.balance(to)?;
        if cfg!(feature = "planted-bug") {
            // The bug: the credit is computed from a balance read before the debit.
            let target_before = self.balance(to)?;
            self.debit(from, amount)?;
            *self.slot(to)? = target_before + amount;
        } else {
            self.debit(from, amount)?;
            *self.slot(to)? += amount;
        }
        Ok(())
    }

    /// Month-end: charges `fee` to every account that can pay it, then closes the ledger.
    pub fn close_month(&mut self, fee: i64) {
        for balance in self.balances.values_mut() {
            if *balance >= fee {
                *balance -= fee;
                self.fees += fee;
            }
        }
        self.closed = true;
    }

    /// Reopens after a close.
    pub fn reopen(&mut self) {
        self.closed = false;
    }

    /// The sum of all balances.
    pub fn total(&self) -> i64 {
        self.balances.values().sum()
    }

    /// Money in minus money out: what `total()` must equal.
    pub fn expected_total(&self) -> i64 {
        self.deposited - self.withdrawn - self.fees
    }

    /// Accounts below zero.
    pub fn overdrawn(&self) -> Vec<(&str, i64)> {
        self.balances.iter().filter(|(_, b)| **b < 0).map(|(a, b)| (a.as_str(), *b)).collect()
    }

    fn check_open(&self, amount: i64) -> Result<(), LedgerError> {
        if self.closed {
            return Err(LedgerError::Closed);
        }
        if amount <= 0 {
            return Err(LedgerError::NonPositiveAmount(amount));
        }
        Ok(())
    }

    fn debit(&mut self, account: &str, amount: i64) -> Result<(), LedgerError> {
        let slot = self.slot(account)?;
        if *slot < amount {
            return Err(LedgerError::InsufficientFunds {
                account: account.to_string(),
                balance: *slot,
                wanted: amount,
            });
        }
        *slot -= amount;
        Ok(())
    }

    fn slot(&mut self, account: &str) -> Result<&mut i64, LedgerError> {
        self.balances.get_mut(account).ok_or_else(|| LedgerError::UnknownAccount(account.to_string()))
    }
}
