//! `#[chaos_init]`: registers the constructor of a module's initial state.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, Path, ReturnType, spanned::Spanned};

use crate::emit::krate;

/// Expands `#[chaos_init(crate = path)] fn start() -> State { .. }`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut custom: Option<Path> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            custom = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error("unknown key in #[chaos_init]; accepted keys: `crate = path`"))
        }
    });
    let parsed = syn::parse::Parser::parse2(parser, args);
    let f: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let e = e.to_compile_error();
            return quote!(#item #e);
        }
    };
    let state = match &f.sig.output {
        ReturnType::Type(_, ty) if f.sig.inputs.is_empty() => Ok((**ty).clone()),
        _ => Err(syn::Error::new(
            f.sig.span(),
            "#[chaos_init] goes on a constructor `fn name() -> State` with no parameters",
        )),
    };
    let state = match (parsed, state) {
        (Ok(()), Ok(state)) => state,
        (a, b) => {
            let e = crate::args::combine([a.err(), b.err()].into_iter().flatten().collect())
                .expect("an error")
                .to_compile_error();
            return quote!(#f #e);
        }
    };
    let k = krate(custom.as_ref());
    let ident = &f.sig.ident;
    quote! {
        #f

        #[doc(hidden)]
        const _: () = {
            fn __chaos_init() -> #k::__private::BuiltInit {
                #k::__private::init::<#state>(#ident)
            }
            #k::__private::inventory::submit! {
                #k::__private::InitDef { module: ::core::module_path!(), build: __chaos_init }
            }
        };
    }
}
