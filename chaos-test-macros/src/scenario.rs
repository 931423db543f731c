//! `#[chaos_scenario]`: registers an async fn over `&Session` as a load-test scenario.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Expr, ItemFn, Lit, LitInt, Path, spanned::Spanned};

use crate::emit::krate;

const ACCEPTED: &str = "accepted keys: `base_url = \"http://..\"` or `base_url = fn_returning_string`, \
                        `init = async_fn`, `cleanup = async_fn`, `weight = N`, `crate = path`";

/// Expands `#[chaos_scenario(..)] async fn name(s: &Session) -> chaos_test::Result { .. }`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut custom: Option<Path> = None;
    let mut init: Option<Path> = None;
    let mut cleanup: Option<Path> = None;
    let mut weight: Option<LitInt> = None;
    let mut base_url: Option<Expr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            custom = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("init") {
            init = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("cleanup") {
            cleanup = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("weight") {
            weight = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("base_url") {
            base_url = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error(format!("unknown key in #[chaos_scenario]; {ACCEPTED}")));
        }
        Ok(())
    });
    let parsed = syn::parse::Parser::parse2(parser, args);
    let f: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let e = e.to_compile_error();
            return quote!(#item #e);
        }
    };
    let shape = if f.sig.asyncness.is_none() || f.sig.inputs.len() != 1 {
        Err(syn::Error::new(
            f.sig.span(),
            "#[chaos_scenario] goes on `async fn name(s: &Session) -> chaos_test::Result`",
        ))
    } else {
        Ok(())
    };
    let weight_value = match &weight {
        Some(w) => {
            w.base10_parse::<u32>().map_err(|_| syn::Error::new(w.span(), "`weight` takes a whole number"))
        }
        None => Ok(1),
    };
    let errors: Vec<syn::Error> =
        [parsed.err(), shape.err(), weight_value.as_ref().err().cloned()].into_iter().flatten().collect();
    if let Some(e) = crate::args::combine(errors) {
        let e = e.to_compile_error();
        return quote!(#f #e);
    }
    let weight = weight_value.unwrap_or(1);
    let k = krate(custom.as_ref());
    let ident = &f.sig.ident;
    let name = ident.to_string();
    let step = |fun: &Path, wrapper: &syn::Ident| {
        quote! {
            fn #wrapper<'a>(s: &'a #k::load::Session) -> #k::__private::StepFuture<'a> {
                ::std::boxed::Box::pin(#fun(s))
            }
        }
    };
    let run_fn = format_ident!("__chaos_run");
    let run = step(&Path::from(ident.clone()), &run_fn);
    let (init_def, init_ref) = match &init {
        Some(p) => {
            let w = format_ident!("__chaos_init");
            (step(p, &w), quote!(::core::option::Option::Some(#w)))
        }
        None => (quote!(), quote!(::core::option::Option::None)),
    };
    let (cleanup_def, cleanup_ref) = match &cleanup {
        Some(p) => {
            let w = format_ident!("__chaos_cleanup");
            (step(p, &w), quote!(::core::option::Option::Some(#w)))
        }
        None => (quote!(), quote!(::core::option::Option::None)),
    };
    let (url_def, url_ref) = match &base_url {
        Some(Expr::Lit(l)) if matches!(l.lit, Lit::Str(_)) => (
            quote!(fn __chaos_base_url() -> ::std::string::String { ::std::string::String::from(#l) }),
            quote!(::core::option::Option::Some(__chaos_base_url)),
        ),
        Some(e) => (
            quote!(fn __chaos_base_url() -> ::std::string::String { ::std::string::String::from(#e()) }),
            quote!(::core::option::Option::Some(__chaos_base_url)),
        ),
        None => (quote!(), quote!(::core::option::Option::None)),
    };
    quote! {
        #f

        #[doc(hidden)]
        const _: () = {
            #run
            #init_def
            #cleanup_def
            #url_def
            #k::__private::inventory::submit! {
                #k::__private::ScenarioDef {
                    module: ::core::module_path!(),
                    name: #name,
                    run: #run_fn,
                    init: #init_ref,
                    cleanup: #cleanup_ref,
                    weight: #weight,
                    base_url: #url_ref,
                }
            }
        };
    }
}
