//! `#[fault_proxy]`, two forms:
//!
//! - on a test function, `#[fault_proxy(upstream = EXPR)]` with one parameter: the parameter
//!   becomes a `FaultProxy` started in front of `upstream` when the test starts, and stopped
//!   when it ends, pass or fail (it drops with the function's frame);
//! - on `fn name() -> impl ToString` returning the upstream, `#[fault_proxy(faults = [..])]`
//!   registers a walk dimension: one option per fault, a proxy of its own per walk.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Expr, FnArg, ItemFn, Path, ReturnType, spanned::Spanned};

use crate::args::combine;
use crate::emit::krate;

const ACCEPTED: &str = "accepted keys: `upstream = EXPR` (on a test function), `faults = [..]` (on `fn name() -> \
                        String` returning the upstream, for walks), `seed = EXPR`, `crate = path`";

#[derive(Default)]
struct Args {
    upstream: Option<Expr>,
    faults: Option<Expr>,
    seed: Option<Expr>,
    krate: Option<Path>,
}

fn parse(args: TokenStream) -> (Args, Vec<syn::Error>) {
    let mut out = Args::default();
    let mut errors = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let key = meta.path.clone();
        let dup = |name: &str| syn::Error::new(key.span(), format!("`{name}` set multiple times"));
        if key.is_ident("upstream") {
            let e: Expr = meta.value()?.parse()?;
            if out.upstream.replace(e).is_some() {
                errors.push(dup("upstream"));
            }
        } else if key.is_ident("faults") {
            let e: Expr = meta.value()?.parse()?;
            if out.faults.replace(e).is_some() {
                errors.push(dup("faults"));
            }
        } else if key.is_ident("seed") {
            let e: Expr = meta.value()?.parse()?;
            if out.seed.replace(e).is_some() {
                errors.push(dup("seed"));
            }
        } else if key.is_ident("crate") {
            out.krate = Some(meta.value()?.parse()?);
        } else {
            let shown = quote::ToTokens::to_token_stream(&key).to_string().replace(' ', "");
            errors.push(syn::Error::new(
                key.span(),
                format!("unknown key `{shown}` in #[fault_proxy]; {ACCEPTED}"),
            ));
            if meta.input.peek(syn::Token![=]) {
                let _: Expr = meta.value()?.parse()?;
            }
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    (out, errors)
}

/// Expands `#[fault_proxy(args)] item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let f: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e =
                syn::Error::new(Span::call_site(), "#[fault_proxy] goes on a function").to_compile_error();
            return quote!(#item #e);
        }
    };
    let (args, mut errors) = parse(args);
    let out = match (&args.faults, &args.upstream) {
        (Some(_), Some(upstream)) => {
            errors.push(syn::Error::new(
                upstream.span(),
                "with `faults` (the walk form) the function returns the upstream: drop `upstream`",
            ));
            None
        }
        (Some(faults), None) => walk_form(&f, faults, &args, &mut errors),
        (None, Some(upstream)) => test_form(&f, upstream, &args, &mut errors),
        (None, None) => {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!("#[fault_proxy] needs `upstream` or `faults`; {ACCEPTED}"),
            ));
            None
        }
    };
    match (combine(errors), out) {
        (None, Some(out)) => out,
        (e, _) => {
            let e = e.map(|e| e.to_compile_error());
            quote!(#f #e)
        }
    }
}

fn test_form(f: &ItemFn, upstream: &Expr, args: &Args, errors: &mut Vec<syn::Error>) -> Option<TokenStream> {
    let k = krate(args.krate.as_ref());
    let (pat, ty) = match f.sig.inputs.iter().collect::<Vec<_>>().as_slice() {
        [FnArg::Typed(p)] => (p.pat.clone(), p.ty.clone()),
        _ => {
            errors.push(syn::Error::new(
                f.sig.inputs.span(),
                "#[fault_proxy(upstream = ..)] takes a test function with one parameter, the proxy: `fn test(db: FaultProxy)`",
            ));
            return None;
        }
    };
    let seed = args.seed.as_ref().map(|s| quote!(.seed(#s)));
    let mut sig = f.sig.clone();
    sig.inputs.clear();
    let (attrs, vis, block) = (&f.attrs, &f.vis, &f.block);
    let start = quote_spanned! {upstream.span()=>
        #k::proxy::FaultProxy::builder(::std::string::ToString::to_string(&(#upstream)))
    };
    Some(quote! {
        #(#attrs)*
        #vis #sig {
            let #pat: #ty = #start #seed .start()
                .unwrap_or_else(|e| ::core::panic!("#[fault_proxy]: cannot start the proxy: {e}"));
            #block
        }
    })
}

fn walk_form(f: &ItemFn, faults: &Expr, args: &Args, errors: &mut Vec<syn::Error>) -> Option<TokenStream> {
    if !f.sig.inputs.is_empty() || matches!(f.sig.output, ReturnType::Default) {
        errors.push(syn::Error::new(
            f.sig.span(),
            "#[fault_proxy(faults = [..])] goes on `fn name() -> String` (any `ToString`) returning the upstream address",
        ));
        return None;
    }
    if let Some(seed) = &args.seed {
        errors.push(syn::Error::new(
            seed.span(),
            "`seed` is not used by the walk form: each walk derives its own",
        ));
        return None;
    }
    let k = krate(args.krate.as_ref());
    let ident = &f.sig.ident;
    let name = ident.to_string();
    let register = crate::emit::registration(&k, &name, ident.span(), false, true);
    Some(quote! {
        #f

        #[doc(hidden)]
        const _: () = {
            fn __chaos_upstream() -> ::std::string::String {
                ::std::string::ToString::to_string(&#ident())
            }
            fn __chaos_build() -> #k::__private::BuiltAction {
                #k::proxy::walk_dimension(#name, __chaos_upstream, ::std::iter::IntoIterator::into_iter(#faults).collect())
            }
            #register
        };
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_form_binds_the_parameter_to_a_started_proxy() {
        let out = expand(
            quote!(upstream = "127.0.0.1:6379"),
            quote!(
                #[test]
                fn t(db: FaultProxy) {
                    let _ = db.addr();
                }
            ),
        )
        .to_string();
        assert!(
            out.contains("let db : FaultProxy = :: chaos_test :: proxy :: FaultProxy :: builder"),
            "{out}"
        );
        assert!(out.contains("fn t ()"), "{out}");
    }

    #[test]
    fn the_walk_form_registers_a_setup_action() {
        let out = expand(
            quote!(faults = [Fault::none()]),
            quote!(
                fn cache() -> String {
                    String::new()
                }
            ),
        )
        .to_string();
        assert!(out.contains("setup : true") && out.contains("walk_dimension (\"cache\""), "{out}");
    }

    #[test]
    fn misuse_names_the_accepted_forms() {
        let neither = expand(
            quote!(),
            quote!(
                fn t(db: FaultProxy) {}
            ),
        )
        .to_string();
        assert!(neither.contains("needs `upstream` or `faults`"), "{neither}");
        let both = expand(
            quote!(upstream = "a:1", faults = []),
            quote!(
                fn t() -> String {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(both.contains("drop `upstream`"), "{both}");
        let params = expand(
            quote!(faults = []),
            quote!(
                fn t(x: u8) -> String {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(params.contains("goes on `fn name() -> String`"), "{params}");
        let arity = expand(
            quote!(upstream = "a:1"),
            quote!(
                fn t() {}
            ),
        )
        .to_string();
        assert!(arity.contains("one parameter, the proxy"), "{arity}");
        let unknown = expand(
            quote!(upstream = "a:1", colour = 1),
            quote!(
                fn t(p: P) {}
            ),
        )
        .to_string();
        assert!(unknown.contains("unknown key `colour`"), "{unknown}");
    }
}
