//! Code generation. Generated code names only `::chaos_test::__private` paths (or the path
//! given with `crate = ...`), and never expands combinations: that is the runtime's job.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Path;

use crate::action::{Action, Pass};
use crate::args::Options;

/// The path of the runtime crate: `::chaos_test` unless `crate = path` renamed it.
pub fn krate(custom: Option<&Path>) -> TokenStream {
    match custom {
        Some(p) => quote!(#p),
        None => quote!(::chaos_test),
    }
}

/// `line!()` and `column!()` spanned at `span`, so they give the item's own position: the
/// runtime sorts a module's actions by it (source order), never by inventory's order.
fn position(span: Span) -> (TokenStream, TokenStream) {
    (quote_spanned!(span=> ::core::line!()), quote_spanned!(span=> ::core::column!()))
}

/// The original function plus its registration.
pub fn action(a: &Action) -> TokenStream {
    let k = krate(a.args.krate.as_ref());
    let item = &a.item;
    let ident = &item.sig.ident;
    let state = &a.state;
    let name = match &a.args.name {
        Some(lit) => lit.value(),
        None => ident.to_string(),
    };
    let serial = a.args.serial.is_some();
    let build = match (&a.args.options, &a.pass) {
        (Some((span, options)), Some(pass)) => {
            let source = match options {
                Options::List(items) => quote_spanned!(*span=> [#(#items),*]),
                Options::Expr(expr) => quote_spanned!(*span=> #expr),
            };
            let arg = match pass {
                Pass::Clone => quote!(::core::clone::Clone::clone(__option)),
                Pass::Borrow => quote!(::core::borrow::Borrow::borrow(__option)),
            };
            quote! {
                #k::__private::with_options::<#state, _, _, _>(
                    #k::__private::state_fns!(#state),
                    #source,
                    |__state: &mut #state, __option: &_| #ident(__state, #arg),
                )
            }
        }
        _ => quote! {
            #k::__private::step::<#state, _, _>(
                #k::__private::state_fns!(#state),
                |__state: &mut #state| #ident(__state),
            )
        },
    };
    let register = registration(&k, &name, ident.span(), serial, false);
    quote! {
        #item

        #[doc(hidden)]
        const _: () = {
            fn __chaos_build() -> #k::__private::BuiltAction {
                #build
            }
            #register
        };
    }
}

/// The `inventory::submit!` of an `ActionDef` whose builder is the `__chaos_build` fn next to
/// it; `span` is the item's name, whose position orders the suite.
pub fn registration(k: &TokenStream, name: &str, span: Span, serial: bool, setup: bool) -> TokenStream {
    let (line, column) = position(span);
    quote! {
        #k::__private::inventory::submit! {
            #k::__private::ActionDef {
                module: ::core::module_path!(),
                name: #name,
                file: ::core::file!(),
                line: #line,
                column: #column,
                serial: #serial,
                setup: #setup,
                build: __chaos_build,
            }
        }
    }
}
