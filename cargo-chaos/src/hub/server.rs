//! The server: shared state, the router (API and pages), and the accept loop with a
//! graceful shutdown.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, Uri, header};
use tokio::net::TcpListener;

use super::errors::ApiError;
use super::store::Store;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct Hub {
    pub store: Arc<Store>,
    /// Request bodies over this many bytes get 413.
    pub max_body: usize,
}

impl Hub {
    /// Runs a store call on a blocking thread (both stores are synchronous).
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(ApiError::internal(e)),
            Err(e) => Err(ApiError::internal(anyhow::anyhow!("store task failed: {e}"))),
        }
    }
}

/// The whole application.
pub fn app(hub: Hub) -> Router {
    super::api::routes()
        .merge(super::pages::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(guard_headers))
        .with_state(hub)
}

/// Pages are never framed (the stop switch cannot be clickjacked), load nothing from
/// elsewhere and post only to the hub; no response is sniffed as another type.
async fn guard_headers(mut r: axum::response::Response) -> axum::response::Response {
    let h = r.headers_mut();
    let csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'";
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// Serves `hub` on `listener` until `shutdown` completes, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    hub: Hub,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, app(hub)).with_graceful_shutdown(shutdown).await?;
    Ok(())
}
