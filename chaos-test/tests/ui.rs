//! Misuse of the attributes is a compile error with a span and the accepted forms; the
//! expected messages are the committed `ui/*.stderr` files (regenerate with
//! `TRYBUILD=overwrite cargo test -p chaos-test --test ui`).

#[test]
fn misused_attributes_fail_to_compile_with_clear_messages() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
