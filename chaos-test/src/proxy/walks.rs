//! Fault proxies as a dimension of walks: `#[fault_proxy(faults = [..])]` registers a setup
//! action whose options are the faults. Each walk starts its own proxy with its fault in front
//! of the upstream (so parallel walks never share a proxy), keeps it in the walk's context, and
//! the harness stops it when the walk ends. Actions reach it with [`walk_proxy`].

use std::net::SocketAddr;

use super::errors::ProxyError;
use super::fault::Fault;
use super::handle::FaultProxy;
use crate::context;
use crate::registry::BuiltAction;

/// The address of the current walk's proxy named `name` (the function carrying
/// `#[fault_proxy(faults = ..)]`).
pub fn walk_proxy(name: &str) -> Result<SocketAddr, ProxyError> {
    with_walk_proxy(name, FaultProxy::addr)
}

/// Calls `f` with the current walk's proxy named `name` (to read its decisions or add a
/// fault mid-walk).
pub fn with_walk_proxy<R>(name: &str, f: impl FnOnce(&FaultProxy) -> R) -> Result<R, ProxyError> {
    context::with(&resource(name), f).ok_or_else(|| ProxyError::NoWalkProxy { name: name.to_string() })
}

fn resource(name: &str) -> String {
    format!("chaos-test/fault-proxy/{name}")
}

/// Builds the setup action of a walk proxy (called by the macro's generated code).
#[doc(hidden)]
pub fn walk_dimension(name: &'static str, upstream: fn() -> String, faults: Vec<Fault>) -> BuiltAction {
    let labels = crate::label::unique(faults.iter().map(|f| crate::label::sanitize(&f.label())).collect());
    BuiltAction {
        state: None,
        labels: Some(labels),
        invoke: Box::new(move |_state, index| {
            let fault = faults[index].clone();
            let mut builder = FaultProxy::builder(upstream());
            if fault.kind != super::fault::FaultKind::PassThrough {
                builder = builder.fault(fault);
            }
            let proxy = builder.start()?;
            context::put(&resource(name), proxy)?;
            Ok(())
        }),
    }
}
