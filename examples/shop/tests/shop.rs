//! Load scenarios of the shop. Under `cargo test` each runs once (`load::browse`,
//! `load::buy`); `cargo chaos load --test shop -p shop-example --users 16 --duration 10s`
//! runs them as a load test, against a shop started in this process.

use std::sync::OnceLock;

use chaos_test::load::Session;

/// The shop this process serves (started on first use).
fn shop() -> String {
    static SHOP: OnceLock<String> = OnceLock::new();
    SHOP.get_or_init(|| shop_example::start().expect("start the shop").url()).clone()
}

#[chaos_test::chaos_scenario(base_url = shop, weight = 3)]
async fn browse(s: &Session) -> chaos_test::Result {
    s.get("/").send().await?.error_for_status()?;
    let id = s.iteration() % 100;
    let (a, b) = tokio::join!(
        s.get("/items/{id}").path("id", id).send(),
        s.get("/items/{id}").path("id", id + 1).send()
    );
    a?.error_for_status()?;
    b?.error_for_status()?;
    Ok(())
}

async fn sign_in(s: &Session) -> chaos_test::Result {
    s.set(format!("user-{}", s.user()));
    Ok(())
}

#[chaos_test::chaos_scenario(base_url = shop, init = sign_in)]
async fn buy(s: &Session) -> chaos_test::Result {
    let user = s.with::<String, _>(|u| u.clone());
    chaos_test::ensure!(user.starts_with("user-"), "init did not run: {user:?}");
    s.timed("checkout", async {
        s.get("/items/{id}").path("id", 1).send().await?.error_for_status()?;
        s.post("/cart").header("x-user", &user).body("item=1").send().await?.error_for_status()
    })
    .await?;
    Ok(())
}

chaos_test::main!();
