//! `#[chaos_action]`: validate the function's shape, then hand a typed model to `emit`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{FnArg, ItemFn, ReturnType, Type, spanned::Spanned};

use crate::args::{self, ActionArgs, combine};
use crate::emit;

/// How the option value reaches the function's second parameter.
pub enum Pass {
    /// `fn f(s: &mut S, v: T)`: each walk gets a clone of the option.
    Clone,
    /// `fn f(s: &mut S, v: &T)` (or `&str`): each walk borrows the option.
    Borrow,
}

/// A validated action, ready to be emitted.
pub struct Action {
    pub item: ItemFn,
    pub args: ActionArgs,
    pub state: Type,
    pub pass: Option<Pass>,
}

/// Expands `#[chaos_action(args)] item`; on error re-emits the item with the errors so IDEs
/// keep resolving the function.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[chaos_action] goes on a function `fn name(state: &mut State, option: T) -> chaos_test::Result`",
            );
            let e = e.to_compile_error();
            return quote::quote!(#item #e);
        }
    };
    let (args, parsed) = args::parse(args);
    let checked = validate(&item_fn, &args);
    match (parsed, checked) {
        (None, Ok((state, pass))) => emit::action(&Action { item: item_fn, args, state, pass }),
        (parsed, checked) => {
            let errors = [parsed, checked.err()].into_iter().flatten().collect();
            let e = combine(errors).expect("at least one error").to_compile_error();
            quote::quote!(#item_fn #e)
        }
    }
}

/// Checks the signature; returns the state type and how the option is passed.
fn validate(f: &ItemFn, args: &ActionArgs) -> syn::Result<(Type, Option<Pass>)> {
    let sig = &f.sig;
    let mut errors = Vec::new();
    if let Some(a) = sig.asyncness {
        errors.push(syn::Error::new(
            a.span(),
            "a chaos action is a plain `fn`, not `async fn`: block on your runtime inside it",
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new(
            sig.generics.span(),
            "a chaos action cannot be generic: the harness must know its state and option types",
        ));
    }
    // When the arguments did not parse, the arity cannot be judged: say nothing about it.
    let arity_known = args.takes_option.is_some();
    let has_options = args.takes_option == Some(true);
    let expected = if has_options {
        "`fn name(state: &mut State, option: T)`"
    } else {
        "`fn name(state: &mut State)` (add `options = [..]` to take an option)"
    };
    let mut inputs = sig.inputs.iter();
    let state = match inputs.next() {
        Some(FnArg::Typed(pat)) => match &*pat.ty {
            Type::Reference(r) if r.mutability.is_some() => Some((*r.elem).clone()),
            other => {
                errors.push(syn::Error::new(
                    other.span(),
                    "the first parameter of a chaos action is the walk's state, taken as `&mut State`",
                ));
                None
            }
        },
        Some(FnArg::Receiver(r)) => {
            errors.push(syn::Error::new(
                r.span(),
                "a chaos action is a free function; methods with `self` cannot be registered",
            ));
            None
        }
        None => {
            errors.push(syn::Error::new(
                sig.paren_token.span.join(),
                format!("a chaos action takes the walk's state first: expected {expected}"),
            ));
            None
        }
    };
    let pass = if has_options {
        match inputs.next() {
            Some(FnArg::Typed(pat)) => match &*pat.ty {
                Type::Reference(r) if r.mutability.is_some() => {
                    errors.push(syn::Error::new(
                        r.span(),
                        "an option is shared by many walks: take it by value `T` or as `&T`, not `&mut T`",
                    ));
                    None
                }
                Type::Reference(_) => Some(Pass::Borrow),
                _ => Some(Pass::Clone),
            },
            _ if !arity_known => None,
            _ => {
                errors.push(syn::Error::new(
                    sig.inputs.span(),
                    format!("this action has `options`, so it takes two parameters: expected {expected}"),
                ));
                None
            }
        }
    } else {
        None
    };
    let extra: Vec<_> = inputs.collect();
    if let Some(first) = extra.first().filter(|_| arity_known) {
        errors.push(syn::Error::new(
            first.span(),
            format!(
                "a chaos action {} takes {}: expected {expected}",
                if has_options { "with options" } else { "without options" },
                if has_options { "two parameters" } else { "one parameter" }
            ),
        ));
    }
    if !returns_result(&sig.output) {
        let serial = args.serial.is_some();
        let what = if serial { "a serial chaos action" } else { "a chaos action" };
        let span = match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.ident.span(),
        };
        errors.push(syn::Error::new(
            span,
            format!(
                "{what} returns `chaos_test::Result` (or any `Result<(), E>`), found `{}`",
                match &sig.output {
                    ReturnType::Type(_, ty) => ty.to_token_stream().to_string().replace(' ', ""),
                    ReturnType::Default => "()".to_string(),
                }
            ),
        ));
    }
    match (combine(errors), state) {
        (Some(e), _) => Err(e),
        (None, Some(state)) => Ok((state, pass)),
        (None, None) => unreachable!("a missing state always records an error"),
    }
}

/// `Result`, `chaos_test::Result`, `std::result::Result<(), E>`, `io::Result<()>`...
fn returns_result(output: &ReturnType) -> bool {
    match output {
        ReturnType::Type(_, ty) => match &**ty {
            Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Result"),
            _ => false,
        },
        ReturnType::Default => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn errors_of(args: TokenStream, item: TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn valid_action_registers_through_hidden_paths() {
        let out = expand(
            quote!(options = [1, 2]),
            quote!(
                fn deposit(b: &mut Bank, x: i64) -> chaos_test::Result {
                    Ok(())
                }
            ),
        )
        .to_string();
        assert!(out.contains(":: chaos_test :: __private :: inventory :: submit"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn state_must_be_a_mutable_reference() {
        let out = errors_of(
            quote!(),
            quote!(
                fn a(b: Bank) -> chaos_test::Result {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("taken as `&mut State`"), "{out}");
    }

    #[test]
    fn option_count_must_match_the_arity() {
        let out = errors_of(
            quote!(options = [1]),
            quote!(
                fn a(b: &mut Bank) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("takes two parameters"), "{out}");
        let out = errors_of(
            quote!(),
            quote!(
                fn a(b: &mut Bank, x: i32) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert!(out.contains("without options takes one parameter"), "{out}");
    }

    #[test]
    fn the_return_type_must_be_a_result() {
        let out = errors_of(
            quote!(serial, options = [1]),
            quote!(
                fn a(b: &mut Bank, x: i32) -> i32 {
                    x
                }
            ),
        );
        assert!(out.contains("a serial chaos action returns `chaos_test::Result`"), "{out}");
        assert!(out.contains("found `i32`"), "{out}");
    }
}
