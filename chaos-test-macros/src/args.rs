//! The typed model of `#[chaos_action(...)]` arguments, parsed with `syn::meta::parser`.
//!
//! Every problem is collected (not only the first) so one compile shows them all, and each
//! message lists the accepted forms.

use proc_macro2::{Span, TokenStream};
use syn::{Expr, LitStr, Path, spanned::Spanned};

const ACCEPTED: &str = "accepted keys: `options = [a, b, ...]`, `options = EXPR`, `serial`, \
                        `name = \"...\"`, `crate = path`";

/// Where an action's options come from.
pub enum Options {
    /// `options = [a, b, c]`: each element is one option.
    List(Vec<Expr>),
    /// `options = EXPR`: an `IntoIterator` evaluated when the plan is built.
    Expr(Box<Expr>),
}

/// The parsed arguments of one `#[chaos_action]`.
#[derive(Default)]
pub struct ActionArgs {
    pub options: Option<(Span, Options)>,
    pub serial: Option<Span>,
    pub name: Option<LitStr>,
    pub krate: Option<Path>,
    /// Whether the action takes an option: `Some(true)` when `options` was written (even
    /// wrongly), `None` when the arguments did not parse far enough to tell.
    pub takes_option: Option<bool>,
}

/// Parses the attribute's arguments into as much of the model as can be read, plus every
/// problem found, combined.
pub fn parse(args: TokenStream) -> (ActionArgs, Option<syn::Error>) {
    let mut out = ActionArgs::default();
    let mut errors: Vec<syn::Error> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let key = meta.path.clone();
        let dup = |what: &str| syn::Error::new(key.span(), format!("`{what}` set multiple times"));
        if key.is_ident("options") {
            out.takes_option = Some(true);
            if !meta.input.peek(syn::Token![=]) {
                errors.push(syn::Error::new(
                    key.span(),
                    "`options` takes a value: `options = [a, b, ...]` or `options = EXPR`",
                ));
                return skip_group(&meta);
            }
            let expr: Expr = meta.value()?.parse()?;
            if out.options.is_some() {
                errors.push(dup("options"));
            }
            match classify_options(expr) {
                Ok(options) => out.options = Some((key.span(), options)),
                Err(e) => errors.push(e),
            }
        } else if key.is_ident("serial") {
            if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
                errors.push(syn::Error::new(key.span(), "`serial` takes no value: write `serial`"));
                return skip_value(&meta);
            }
            if out.serial.is_some() {
                errors.push(dup("serial"));
            }
            out.serial = Some(key.span());
        } else if key.is_ident("name") {
            let lit: LitStr = meta.value()?.parse()?;
            if out.name.is_some() {
                errors.push(dup("name"));
            }
            let value = lit.value();
            if value.is_empty()
                || !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                errors.push(syn::Error::new(
                    lit.span(),
                    "`name` must be non-empty and use only `A-Z a-z 0-9 _ . -`",
                ));
            }
            out.name = Some(lit);
        } else if key.is_ident("crate") {
            let path: Path = meta.value()?.parse()?;
            if out.krate.is_some() {
                errors.push(dup("crate"));
            }
            out.krate = Some(path);
        } else {
            let shown = quote::ToTokens::to_token_stream(&key).to_string().replace(' ', "");
            errors.push(syn::Error::new(
                key.span(),
                format!("unknown key `{shown}` in #[chaos_action]; {ACCEPTED}"),
            ));
            return skip_value(&meta);
        }
        Ok(())
    });
    match syn::parse::Parser::parse2(parser, args) {
        Ok(()) => {
            out.takes_option.get_or_insert(false);
        }
        Err(e) => {
            out.takes_option = None;
            errors.push(e);
        }
    }
    (out, combine(errors))
}

/// Sorts a list literal from an expression, and rejects the forms that can be neither.
fn classify_options(expr: Expr) -> syn::Result<Options> {
    match expr {
        Expr::Array(array) => {
            if array.elems.is_empty() {
                return Err(syn::Error::new(
                    array.span(),
                    "`options = []` has no options: list at least one, or drop `options` to \
                     run the action once in every walk",
                ));
            }
            Ok(Options::List(array.elems.into_iter().collect()))
        }
        Expr::Lit(lit) => Err(syn::Error::new(
            lit.span(),
            "`options` must be a list `[a, b, ...]` or an expression yielding an `IntoIterator`, \
             not a single literal: write `options = [..]` around it",
        )),
        Expr::Tuple(tuple) => Err(syn::Error::new(
            tuple.span(),
            "`options` must be a list `[a, b, ...]` or an expression yielding an `IntoIterator`; \
             a tuple is neither: use square brackets",
        )),
        other => Ok(Options::Expr(Box::new(other))),
    }
}

fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    }
    skip_group(meta)
}

fn skip_group(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::token::Paren) {
        let _: proc_macro2::Group = meta.input.parse()?;
    }
    Ok(())
}

/// Folds many errors into one that reports each at its own span.
pub fn combine(errors: Vec<syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn ok(tokens: TokenStream) -> ActionArgs {
        match parse(tokens) {
            (args, None) => args,
            (_, Some(e)) => panic!("unexpected error: {e}"),
        }
    }

    fn err(tokens: TokenStream) -> String {
        match parse(tokens) {
            (_, None) => panic!("expected an error"),
            (_, Some(e)) => e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" | "),
        }
    }

    #[test]
    fn list_and_expression_options_are_told_apart() {
        let args = ok(quote!(options = [1, 2, 3], serial));
        assert!(matches!(args.options, Some((_, Options::List(ref v))) if v.len() == 3));
        assert!(args.serial.is_some());
        let args = ok(quote!(options = (0..4).map(|x| x * 2)));
        assert!(matches!(args.options, Some((_, Options::Expr(_)))));
    }

    #[test]
    fn every_problem_is_reported_in_one_pass() {
        let msg = err(quote!(colour = 1, serial, serial, options = 5));
        assert!(msg.contains("unknown key `colour`"), "{msg}");
        assert!(msg.contains("`serial` set multiple times"), "{msg}");
        assert!(msg.contains("not a single literal"), "{msg}");
    }

    #[test]
    fn names_outside_the_label_alphabet_are_refused() {
        assert!(err(quote!(name = "a b")).contains("A-Z a-z 0-9"));
        assert_eq!(ok(quote!(name = "wire.v2-x")).name.unwrap().value(), "wire.v2-x");
    }

    #[test]
    fn empty_option_lists_are_refused() {
        assert!(err(quote!(options = [])).contains("has no options"));
    }
}
