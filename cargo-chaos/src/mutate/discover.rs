//! Discovery of mutants in one Rust source file.
//!
//! The file is parsed with `syn`, and its syntax tree is walked to find places that can be
//! mutated. The genres, replacement values, names and skipping rules mirror those of
//! cargo-mutants, so that the names produced here can be matched against its output, with
//! two extra genres of our own: negating `if`/`while` conditions, and swapping `break` and
//! `continue`.
//!
//! Like cargo-mutants, mutants are also generated in const contexts: the bodies of const fns,
//! the initialisers of const and static items, `const {}` blocks, array lengths (in
//! expressions and in types, including those of signatures and struct fields), enum
//! discriminants, const generic arguments and defaults, and anything else reached through a
//! type, a generic parameter or a pattern. Such a mutant is marked by
//! [`Mutant::const_context`]: it is evaluated at compile time, where a run-time switch can't
//! reach, so an engine that builds once and switches mutants on at run time has to rebuild
//! for it instead.
//!
//! Unlike cargo-mutants, which skips only `unsafe fn`s, nothing is generated inside `unsafe`
//! blocks either; and skip attributes and `#[cfg(test)]` are honoured on every item (consts,
//! statics, types, enums and their variants, struct fields), where cargo-mutants looks for
//! them only on functions, impls, traits, modules and some expressions.

use proc_macro2::{Delimiter, LineColumn, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{
    AngleBracketedGenericArguments, Attribute, BinOp, Block, Expr, GenericArgument, Ident, Meta, Path,
    PathArguments, ReturnType, Signature, Type, TypeImplTrait, TypeParamBound, UnOp,
};

/// Broad categories of mutants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Genre {
    /// Replace the body of a function with a value of its return type.
    FnValue,
    /// Replace a binary operator (including compound assignments) with another.
    BinaryOperator,
    /// Delete a `!` or `-` unary operator.
    UnaryOperator,
    /// Delete a match arm, when the match has a `_` arm to fall back on.
    MatchArm,
    /// Replace a match arm guard with `true` or `false`.
    MatchArmGuard,
    /// Delete a field from a struct literal that has a `..base` expression.
    StructField,
    /// Negate the condition of an `if` or `while`.
    Condition,
    /// Replace `break` with `continue` or the other way around.
    LoopControl,
}

impl Genre {
    /// The name of the genre, spelled as cargo-mutants spells the genres it shares with us.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Genre::FnValue => "FnValue",
            Genre::BinaryOperator => "BinaryOperator",
            Genre::UnaryOperator => "UnaryOperator",
            Genre::MatchArm => "MatchArm",
            Genre::MatchArmGuard => "MatchArmGuard",
            Genre::StructField => "StructField",
            Genre::Condition => "Condition",
            Genre::LoopControl => "LoopControl",
        }
    }
}

/// One mutation of a source file: the replacement of `start..end` by `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// The path of the file, as given to [`discover`].
    pub file: String,
    /// 1-based line where the replaced text starts.
    pub line: usize,
    /// 1-based column, counted in chars, where the replaced text starts.
    pub column: usize,
    /// 1-based line where the replaced text ends.
    pub end_line: usize,
    /// 1-based column, counted in chars, just after the replaced text.
    pub end_column: usize,
    /// Byte offset of the start of the replaced text.
    pub start: usize,
    /// Byte offset just after the replaced text.
    pub end: usize,
    /// The replaced text, `source[start..end]`.
    pub original: String,
    /// The text put in its place.
    pub replacement: String,
    pub genre: Genre,
    /// The enclosing function, qualified like `Point::norm` or `<impl Display for Point>::fmt`.
    pub function: Option<String>,
    /// The return type of the enclosing function, like `-> i32`; `None` if it has none.
    pub return_type: Option<String>,
    /// A name like `src/lib.rs:3:7: replace + with - in add`, as cargo-mutants names mutants.
    pub name: String,
    /// True if the mutated code is evaluated at compile time (a const fn, a const or static
    /// initialiser, a `const {}` block, an array length, an enum discriminant, a const generic
    /// argument, a type or a pattern), so that it can't be switched on at run time.
    pub const_context: bool,
}

/// Find all the mutants in one source file, sorted by `(start, end, replacement)`.
///
/// `file` is only used in the names of the mutants.
///
/// # Errors
///
/// If `source` is not valid Rust that `syn` can parse.
pub fn discover(file: &str, source: &str) -> Result<Vec<Mutant>, syn::Error> {
    let syntax = syn::parse_str::<syn::File>(&parseable_text(source))?;
    let mut finder = Finder {
        file,
        source,
        line_starts: line_starts(source),
        namespace: Vec::new(),
        functions: Vec::new(),
        loops: Vec::new(),
        const_depth: 0,
        mutants: Vec::new(),
    };
    finder.visit_file(&syntax);
    let mut mutants = finder.mutants;
    mutants.sort_by(|a, b| (a.start, a.end, &a.replacement).cmp(&(b.start, b.end, &b.replacement)));
    mutants.dedup_by(|a, b| a.start == b.start && a.end == b.end && a.replacement == b.replacement);
    Ok(mutants)
}

/// Return the source with the mutant applied.
#[must_use]
pub fn apply(source: &str, m: &Mutant) -> String {
    let mut r = String::with_capacity(source.len() + m.replacement.len());
    r.push_str(&source[..m.start]);
    r.push_str(&m.replacement);
    r.push_str(&source[m.end..]);
    r
}

/// A unified diff of the mutant against the source, like `diff -u` with 3 lines of context,
/// labelled `a/{file}` and `b/{file}`.
#[must_use]
pub fn diff(source: &str, m: &Mutant) -> String {
    unified_diff(&m.file, source, &apply(source, m), 3)
}

// ---------------------------------------------------------------------------------------------
// Source positions

/// The source as given to the parser: the text of a shebang line, which `syn::File` does not
/// accept, is removed, keeping its line break so that all positions on later lines are unchanged.
fn parseable_text(source: &str) -> String {
    let mut text = source.to_owned();
    let body_start = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let rest = &text[body_start..];
    if let Some(after) = rest.strip_prefix("#!")
        && !after.trim_start().starts_with('[')
    {
        let line_end = text.find('\n').unwrap_or(text.len());
        text.replace_range(body_start..line_end, "");
    }
    text
}

/// Byte offsets at which each line starts.
fn line_starts(source: &str) -> Vec<usize> {
    std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

// ---------------------------------------------------------------------------------------------
// Pretty-printing of token streams, the way cargo-mutants prints code in names.

/// Format some code as cargo-mutants does in mutant names: like `TokenStream::to_string`, but
/// without the spaces it puts around `::`, `<`, `(` and so on.
fn pretty<T: ToTokens + ?Sized>(node: &T) -> String {
    pretty_tokens(node.to_token_stream())
}

fn pretty_tokens(tokens: TokenStream) -> String {
    let mut b = String::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Punct(punct) => {
                let c = punct.as_char();
                if c == '|' && !b.is_empty() && !b.ends_with(' ') && !b.ends_with('|') {
                    b.push(' ');
                }
                b.push(c);
                if tokens.peek().is_some() && (b.ends_with("->") || c == ',' || c == ';') {
                    b.push(' ');
                }
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                if b.ends_with('=') || b.ends_with("=>") || b.ends_with('|') {
                    b.push(' ');
                }
                b.push_str(&token.to_string());
                match tokens.peek() {
                    Some(TokenTree::Ident(_) | TokenTree::Literal(_)) => b.push(' '),
                    Some(TokenTree::Punct(next))
                        if !matches!(next.as_char(), ',' | ';' | '<' | '>' | ':' | '.' | '!') =>
                    {
                        b.push(' ');
                    }
                    _ => (),
                }
            }
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::None => ("", ""),
                };
                b.push_str(open);
                b.push_str(&pretty_tokens(group.stream()));
                b.push_str(close);
            }
        }
    }
    b
}

/// Join lines into one, dropping the indentation after each line break, as cargo-mutants
/// does for code shown in names.
fn squash_lines(s: &str) -> String {
    if !s.contains('\n') {
        return s.to_owned();
    }
    let mut r = String::with_capacity(s.len());
    let mut in_indent = false;
    for c in s.chars() {
        match c {
            ' ' | '\t' | '\n' if in_indent => (),
            '\n' => {
                if !r.ends_with(' ') {
                    r.push(' ');
                }
                in_indent = true;
            }
            c => {
                in_indent = false;
                r.push(c);
            }
        }
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Attributes

fn path_is(path: &Path, idents: &[&str]) -> bool {
    path.segments.len() == idents.len() && path.segments.iter().zip(idents).all(|(s, i)| s.ident == i)
}

fn path_ends_with(path: &Path, ident: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == ident)
}

/// True for the paths of attributes that ask for an item not to be mutated.
fn is_skip_path(path: &Path) -> bool {
    path_is(path, &["mutants", "skip"])
        || path_is(path, &["chaos_test", "skip"])
        || path_is(path, &["chaos_skip"])
}

/// True if any of the attributes mean that nothing inside the node should be mutated: test
/// code (`#[cfg(test)]`, or any attribute whose path ends in `test`, like `#[tokio::test]`) or
/// an explicit skip attribute, directly or through `cfg_attr`.
fn attrs_excluded(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|attr| attr_is_cfg_test(attr) || path_ends_with(attr.path(), "test") || meta_is_skip(&attr.meta))
}

fn meta_is_skip(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => is_skip_path(path),
        Meta::List(list) if path_is(&list.path, &["cfg_attr"]) => list
            .parse_args_with(Punctuated::<Meta, syn::Token![,]>::parse_terminated)
            .is_ok_and(|metas| metas.iter().skip(1).any(meta_is_skip)),
        Meta::List(list) => is_skip_path(&list.path),
        Meta::NameValue(_) => false,
    }
}

/// True for `#[cfg(test)]`, and for other `cfg`s that can only hold in test builds, like
/// `#[cfg(all(test, unix))]`.
fn attr_is_cfg_test(attr: &Attribute) -> bool {
    match &attr.meta {
        Meta::List(list) if path_is(&list.path, &["cfg"]) => {
            list.parse_args::<Meta>().is_ok_and(|predicate| cfg_is_test_only(&predicate))
        }
        _ => false,
    }
}

fn cfg_is_test_only(predicate: &Meta) -> bool {
    match predicate {
        Meta::Path(path) => path.is_ident("test"),
        Meta::List(list) => {
            let Ok(args) = list.parse_args_with(Punctuated::<Meta, syn::Token![,]>::parse_terminated) else {
                return false;
            };
            if list.path.is_ident("all") {
                args.iter().any(cfg_is_test_only)
            } else if list.path.is_ident("any") {
                !args.is_empty() && args.iter().all(cfg_is_test_only)
            } else {
                false
            }
        }
        Meta::NameValue(_) => false,
    }
}

/// The attributes of any kind of expression.
fn expr_attrs(expr: &Expr) -> &[Attribute] {
    match expr {
        Expr::Array(e) => &e.attrs,
        Expr::Assign(e) => &e.attrs,
        Expr::Async(e) => &e.attrs,
        Expr::Await(e) => &e.attrs,
        Expr::Binary(e) => &e.attrs,
        Expr::Block(e) => &e.attrs,
        Expr::Break(e) => &e.attrs,
        Expr::Call(e) => &e.attrs,
        Expr::Cast(e) => &e.attrs,
        Expr::Closure(e) => &e.attrs,
        Expr::Const(e) => &e.attrs,
        Expr::Continue(e) => &e.attrs,
        Expr::Field(e) => &e.attrs,
        Expr::ForLoop(e) => &e.attrs,
        Expr::Group(e) => &e.attrs,
        Expr::If(e) => &e.attrs,
        Expr::Index(e) => &e.attrs,
        Expr::Infer(e) => &e.attrs,
        Expr::Let(e) => &e.attrs,
        Expr::Lit(e) => &e.attrs,
        Expr::Loop(e) => &e.attrs,
        Expr::Macro(e) => &e.attrs,
        Expr::Match(e) => &e.attrs,
        Expr::MethodCall(e) => &e.attrs,
        Expr::Paren(e) => &e.attrs,
        Expr::Path(e) => &e.attrs,
        Expr::Range(e) => &e.attrs,
        Expr::RawAddr(e) => &e.attrs,
        Expr::Reference(e) => &e.attrs,
        Expr::Repeat(e) => &e.attrs,
        Expr::Return(e) => &e.attrs,
        Expr::Struct(e) => &e.attrs,
        Expr::Try(e) => &e.attrs,
        Expr::TryBlock(e) => &e.attrs,
        Expr::Tuple(e) => &e.attrs,
        Expr::Unary(e) => &e.attrs,
        Expr::Unsafe(e) => &e.attrs,
        Expr::While(e) => &e.attrs,
        Expr::Yield(e) => &e.attrs,
        _ => &[],
    }
}

/// True if a function should not be mutated at all, nor anything inside it.
fn fn_excluded(sig: &Signature, attrs: &[Attribute]) -> bool {
    sig.unsafety.is_some() || attrs_excluded(attrs)
}

/// True if the expression is a `let`, or a `&&` chain containing one, which can't be negated
/// or turned into `||`.
fn contains_let(expr: &Expr) -> bool {
    match expr {
        Expr::Let(_) => true,
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => contains_let(&b.left) || contains_let(&b.right),
        Expr::Group(g) => contains_let(&g.expr),
        _ => false,
    }
}

/// True if the expression's text ends with a cast, like `a + b as u8`.
fn ends_with_cast(expr: &Expr) -> bool {
    match expr {
        Expr::Cast(_) => true,
        Expr::Binary(b) => ends_with_cast(&b.right),
        Expr::Unary(u) => ends_with_cast(&u.expr),
        Expr::Reference(r) => ends_with_cast(&r.expr),
        Expr::Range(r) => r.end.as_deref().is_some_and(ends_with_cast),
        _ => false,
    }
}

/// True if negating this condition would only repeat an operator mutant: `!x` (whose `!` is
/// deleted), `a == b` and `a != b` (which are swapped).
fn negation_is_redundant(expr: &Expr) -> bool {
    match expr {
        Expr::Paren(p) => negation_is_redundant(&p.expr),
        Expr::Group(g) => negation_is_redundant(&g.expr),
        Expr::Unary(u) => matches!(u.op, UnOp::Not(_)),
        Expr::Binary(b) => matches!(b.op, BinOp::Eq(_) | BinOp::Ne(_)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Replacement values for function bodies

/// Values to replace the body of a function with, for its return type.
fn return_type_replacements(return_type: &ReturnType) -> Vec<TokenStream> {
    match return_type {
        ReturnType::Default => vec![quote! { () }],
        ReturnType::Type(_, ty) => type_replacements(ty),
    }
}

/// At most this many values are generated for one type, so that types like big tuples, whose
/// values multiply, can't explode.
const MAX_VALUES: usize = 1024;

/// Some values that are hopefully of this type.
fn type_replacements(ty: &Type) -> Vec<TokenStream> {
    let mut values = uncapped_type_replacements(ty);
    values.truncate(MAX_VALUES);
    values
}

fn uncapped_type_replacements(ty: &Type) -> Vec<TokenStream> {
    match ty {
        Type::Path(type_path) => path_type_replacements(&type_path.path),
        Type::Array(array) => {
            let len = &array.len;
            type_replacements(&array.elem).into_iter().map(|r| quote! { [#r; #len] }).collect()
        }
        Type::Slice(slice) => leaked_vec_replacements(&slice.elem),
        Type::Reference(reference) => match &*reference.elem {
            Type::Path(p) if reference.mutability.is_none() && p.path.is_ident("str") => {
                vec![quote! { "" }, quote! { "xyzzy" }]
            }
            Type::Slice(slice) => leaked_vec_replacements(&slice.elem),
            elem => type_replacements(elem).into_iter().map(|r| quote! { Box::leak(Box::new(#r)) }).collect(),
        },
        Type::Tuple(tuple) => {
            let element_values: Vec<Vec<TokenStream>> = tuple.elems.iter().map(type_replacements).collect();
            let one = tuple.elems.len() == 1;
            cartesian_product(&element_values)
                .into_iter()
                .map(|values| {
                    if one {
                        quote! { (#(#values),*,) }
                    } else {
                        quote! { (#(#values),*) }
                    }
                })
                .collect()
        }
        Type::ImplTrait(impl_trait) => match impl_iterator_item(impl_trait) {
            Some(item) => std::iter::once(quote! { ::std::iter::empty() })
                .chain(type_replacements(item).into_iter().map(|r| quote! { ::std::iter::once(#r) }))
                .collect(),
            None => Vec::new(),
        },
        Type::Never(_) => Vec::new(),
        _ => vec![quote! { Default::default() }],
    }
}

fn leaked_vec_replacements(elem: &Type) -> Vec<TokenStream> {
    std::iter::once(quote! { Vec::leak(Vec::new()) })
        .chain(type_replacements(elem).into_iter().map(|r| quote! { Vec::leak(vec![#r]) }))
        .collect()
}

const UNSIGNED: &[&str] = &["u8", "u16", "u32", "u64", "u128", "usize"];
const SIGNED: &[&str] = &["i8", "i16", "i32", "i64", "i128", "isize"];
const FLOATS: &[&str] = &["f32", "f64"];
const NONZERO_SIGNED: &[&str] =
    &["NonZeroIsize", "NonZeroI8", "NonZeroI16", "NonZeroI32", "NonZeroI64", "NonZeroI128"];
const NONZERO_UNSIGNED: &[&str] =
    &["NonZeroUsize", "NonZeroU8", "NonZeroU16", "NonZeroU32", "NonZeroU64", "NonZeroU128"];
const CONTAINERS: &[&str] = &["Box", "Cell", "RefCell", "Arc", "Rc", "Mutex"];
const COLLECTIONS: &[&str] = &["BinaryHeap", "BTreeSet", "HashSet", "LinkedList", "VecDeque"];
const MAPS: &[&str] = &["BTreeMap", "HashMap"];

fn path_is_one_of(path: &Path, names: &[&str]) -> bool {
    names.iter().any(|name| path.is_ident(name))
}

fn last_ident_is_one_of(path: &Path, names: &[&str]) -> bool {
    path.segments.last().is_some_and(|s| names.iter().any(|name| s.ident == name))
}

fn path_type_replacements(path: &Path) -> Vec<TokenStream> {
    if path.is_ident("bool") {
        vec![quote! { true }, quote! { false }]
    } else if path.is_ident("String") {
        vec![quote! { String::new() }, quote! { "xyzzy".into() }]
    } else if path.is_ident("str") {
        vec![quote! { "" }, quote! { "xyzzy" }]
    } else if path_is_one_of(path, UNSIGNED) {
        vec![quote! { 0 }, quote! { 1 }]
    } else if path_is_one_of(path, SIGNED) {
        vec![quote! { 0 }, quote! { 1 }, quote! { -1 }]
    } else if last_ident_is_one_of(path, NONZERO_SIGNED) {
        vec![quote! { 1.try_into().unwrap() }, quote! { (-1).try_into().unwrap() }]
    } else if last_ident_is_one_of(path, NONZERO_UNSIGNED) {
        vec![quote! { 1.try_into().unwrap() }]
    } else if let Some(inner) = first_type_arg(path, "NonZero") {
        match inner {
            Type::Path(inner) if path_is_one_of(&inner.path, UNSIGNED) => {
                vec![quote! { 1.try_into().unwrap() }]
            }
            _ => vec![quote! { 1.try_into().unwrap() }, quote! { (-1).try_into().unwrap() }],
        }
    } else if path_is_one_of(path, FLOATS) {
        vec![quote! { 0.0 }, quote! { 1.0 }, quote! { -1.0 }]
    } else if path_ends_with(path, "Result") {
        match first_type_arg(path, "Result") {
            Some(ok_type) => type_replacements(ok_type).into_iter().map(|r| quote! { Ok(#r) }).collect(),
            // Like `fmt::Result`: hopefully the `Ok` value has a default.
            None => vec![quote! { Ok(Default::default()) }],
        }
    } else if path_ends_with(path, "HttpResponse") {
        vec![quote! { HttpResponse::Ok().finish() }]
    } else if let Some(some_type) = first_type_arg(path, "Option") {
        std::iter::once(quote! { None })
            .chain(type_replacements(some_type).into_iter().map(|r| quote! { Some(#r) }))
            .collect()
    } else if let Some(element_type) = first_type_arg(path, "Vec") {
        std::iter::once(quote! { vec![] })
            .chain(type_replacements(element_type).into_iter().map(|r| quote! { vec![#r] }))
            .collect()
    } else if let Some(borrowed_type) = first_type_arg(path, "Cow") {
        type_replacements(borrowed_type)
            .into_iter()
            .flat_map(|r| [quote! { Cow::Borrowed(#r) }, quote! { Cow::Owned(#r.to_owned()) }])
            .collect()
    } else if let Some((container, inner)) = single_type_arg_of(path, CONTAINERS) {
        type_replacements(inner).into_iter().map(|r| quote! { #container::new(#r) }).collect()
    } else if let Some((collection, inner)) = single_type_arg_of(path, COLLECTIONS) {
        std::iter::once(quote! { #collection::new() })
            .chain(type_replacements(inner).into_iter().map(|r| quote! { #collection::from_iter([#r]) }))
            .collect()
    } else if let Some((map, key_type, value_type)) = known_map(path) {
        let keys = type_replacements(key_type);
        let values = type_replacements(value_type);
        let mut reps = vec![quote! { #map::new() }];
        for (k, v) in keys.iter().flat_map(|k| values.iter().map(move |v| (k, v))).take(MAX_VALUES) {
            reps.push(quote! { #map::from_iter([(#k, #v)]) });
        }
        reps
    } else if let Some((collection, inner)) = maybe_collection_or_container(path) {
        std::iter::once(quote! { #collection::new() })
            .chain(type_replacements(inner).into_iter().flat_map(|r| {
                [
                    quote! { #collection::from_iter([#r]) },
                    quote! { #collection::new(#r) },
                    quote! { #collection::from(#r) },
                ]
            }))
            .collect()
    } else {
        vec![quote! { Default::default() }]
    }
}

fn angle_args(path: &Path) -> Option<(&Ident, &Punctuated<GenericArgument, syn::Token![,]>)> {
    let last = path.segments.last()?;
    match &last.arguments {
        PathArguments::AngleBracketed(AngleBracketedGenericArguments { args, .. }) => {
            Some((&last.ident, args))
        }
        _ => None,
    }
}

/// If the path ends in `expected` with type arguments, its first type argument, skipping lifetimes.
fn first_type_arg<'p>(path: &'p Path, expected: &str) -> Option<&'p Type> {
    let (ident, args) = angle_args(path)?;
    if ident != expected {
        return None;
    }
    for arg in args {
        match arg {
            GenericArgument::Type(ty) => return Some(ty),
            GenericArgument::Lifetime(_) => (),
            _ => return None,
        }
    }
    None
}

/// If the path ends in one of `names` with exactly one argument, a type: that name and type.
fn single_type_arg_of<'p>(path: &'p Path, names: &[&str]) -> Option<(&'p Ident, &'p Type)> {
    let (ident, args) = angle_args(path)?;
    if !names.iter().any(|name| ident == name) || args.len() != 1 {
        return None;
    }
    match args.first() {
        Some(GenericArgument::Type(ty)) => Some((ident, ty)),
        _ => None,
    }
}

fn known_map(path: &Path) -> Option<(&Ident, &Type, &Type)> {
    let (ident, args) = angle_args(path)?;
    if !MAPS.iter().any(|name| ident == name) || args.len() != 2 {
        return None;
    }
    match (&args[0], &args[1]) {
        (GenericArgument::Type(k), GenericArgument::Type(v)) => Some((ident, k, v)),
        _ => None,
    }
}

/// A type like `T<A>` or `T<'a, A>` that can perhaps be built from an `A`.
fn maybe_collection_or_container(path: &Path) -> Option<(&Ident, &Type)> {
    let (ident, args) = angle_args(path)?;
    let mut types = args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(ty), None) => Some((ident, ty)),
        _ => None,
    }
}

/// The item type of `impl Iterator<Item = T>`.
fn impl_iterator_item(impl_trait: &TypeImplTrait) -> Option<&Type> {
    impl_trait.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(trait_bound) = bound else { return None };
        let (ident, args) = angle_args(&trait_bound.path)?;
        if ident != "Iterator" {
            return None;
        }
        match args.first() {
            Some(GenericArgument::AssocType(assoc)) if assoc.ident == "Item" => Some(&assoc.ty),
            _ => None,
        }
    })
}

/// Every combination of one value from each list, the first list varying slowest.
fn cartesian_product(lists: &[Vec<TokenStream>]) -> Vec<Vec<TokenStream>> {
    let mut combinations: Vec<Vec<TokenStream>> = vec![Vec::new()];
    for list in lists {
        combinations = combinations
            .iter()
            .flat_map(|prefix| {
                list.iter().map(move |value| {
                    let mut combination = prefix.clone();
                    combination.push(value.clone());
                    combination
                })
            })
            .take(MAX_VALUES)
            .collect();
    }
    combinations
}

// ---------------------------------------------------------------------------------------------
// The syntax tree walk

/// The function we are in.
struct FnContext {
    /// Qualified name, like `Point::norm`.
    name: String,
    /// Like `-> i32`, or empty.
    return_type: String,
}

/// What an unlabelled `break` or `continue` would refer to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoopScope {
    /// A `for` or `while` loop, of type `()`: `break` and `continue` can be swapped.
    ForOrWhile,
    /// A `loop`, where `break` may carry the loop's value and `continue` would likely hang.
    Loop,
    /// A closure, async block or function: no loop outside it can be reached.
    Barrier,
}

/// How a mutant is described in its name, beyond what its genre says.
enum Detail {
    None,
    MatchArm { pattern: String },
    StructField { field: String, struct_name: String },
    Condition { keyword: &'static str },
}

struct Finder<'s> {
    file: &'s str,
    source: &'s str,
    line_starts: Vec<usize>,
    /// Names of the modules, impls, traits and functions we are in, joined by `::` to name functions.
    namespace: Vec<String>,
    functions: Vec<FnContext>,
    loops: Vec<LoopScope>,
    /// How many const contexts we are in.
    const_depth: usize,
    mutants: Vec<Mutant>,
}

impl Finder<'_> {
    /// The byte offset of a position given by proc-macro2 (1-based line, 0-based column in chars).
    fn offset(&self, position: LineColumn) -> Option<usize> {
        let line_start = *self.line_starts.get(position.line.checked_sub(1)?)?;
        let line_end = self.line_starts.get(position.line).copied().unwrap_or(self.source.len());
        let line = self.source.get(line_start..line_end)?;
        let mut chars = line.char_indices();
        match chars.nth(position.column) {
            Some((i, _)) => Some(line_start + i),
            None if line.chars().count() == position.column => Some(line_end),
            None => None,
        }
    }

    /// The byte range of source covered by a syntax node.
    fn range(&self, start: LineColumn, end: LineColumn) -> Option<(usize, usize)> {
        let (start, end) = (self.offset(start)?, self.offset(end)?);
        (start <= end).then_some((start, end))
    }

    fn add(
        &mut self,
        start: LineColumn,
        end: LineColumn,
        replacement: String,
        genre: Genre,
        detail: &Detail,
    ) {
        let Some((start_byte, end_byte)) = self.range(start, end) else { return };
        let original = self.source[start_byte..end_byte].to_owned();
        let function = self.functions.last();
        let change = match (genre, detail) {
            (Genre::FnValue, _) => {
                let Some(function) = function else { return };
                if function.return_type.is_empty() {
                    format!("replace {} with {replacement}", function.name)
                } else {
                    format!("replace {} {} with {replacement}", function.name, function.return_type)
                }
            }
            (Genre::MatchArmGuard, _) => {
                format!("replace match guard {} with {replacement}", squash_lines(&original))
            }
            (_, Detail::MatchArm { pattern }) => format!("delete match arm {}", squash_lines(pattern)),
            (_, Detail::StructField { field, struct_name }) => {
                format!("delete field {field} from struct {struct_name} expression")
            }
            (_, Detail::Condition { keyword }) => format!(
                "replace {keyword} condition {} with {}",
                squash_lines(&original),
                squash_lines(&replacement)
            ),
            _ if replacement.is_empty() => format!("delete {original}"),
            _ => format!("replace {original} with {replacement}"),
        };
        let mut name = format!("{}:{}:{}: {change}", self.file, start.line, start.column + 1);
        if genre != Genre::FnValue
            && let Some(function) = function
        {
            name.push_str(" in ");
            name.push_str(&function.name);
        }
        self.mutants.push(Mutant {
            file: self.file.to_owned(),
            line: start.line,
            column: start.column + 1,
            end_line: end.line,
            end_column: end.column + 1,
            start: start_byte,
            end: end_byte,
            original,
            replacement,
            genre,
            function: function.map(|f| f.name.clone()),
            return_type: function.filter(|f| !f.return_type.is_empty()).map(|f| f.return_type.clone()),
            name,
            const_context: self.const_depth > 0,
        });
    }

    fn add_spanned(&mut self, node: &dyn ToTokens, replacement: &str, genre: Genre, detail: &Detail) {
        let span = node.span();
        self.add(span.start(), span.end(), replacement.to_owned(), genre, detail);
    }

    fn in_namespace(&mut self, name: String, f: impl FnOnce(&mut Self)) {
        self.namespace.push(name);
        f(self);
        self.namespace.pop();
    }

    fn in_loop_scope(&mut self, scope: LoopScope, f: impl FnOnce(&mut Self)) {
        self.loops.push(scope);
        f(self);
        self.loops.pop();
    }

    /// Visit code evaluated at compile time, which no `break` or `continue` can leave.
    fn in_const(&mut self, f: impl FnOnce(&mut Self)) {
        self.const_depth += 1;
        self.in_loop_scope(LoopScope::Barrier, f);
        self.const_depth -= 1;
    }

    /// Generate the mutants of a function with a non-empty body, and of everything in it,
    /// signature included, which `visit` walks as `syn::visit` would.
    fn function(&mut self, sig: &Signature, block: &Block, visit: impl FnOnce(&mut Self)) {
        if block.stmts.is_empty() {
            return;
        }
        self.namespace.push(sig.ident.to_string());
        self.functions.push(FnContext { name: self.namespace.join("::"), return_type: pretty(&sig.output) });
        let body = |v: &mut Self| {
            v.fn_value_mutants(sig, block);
            v.in_loop_scope(LoopScope::Barrier, visit);
        };
        if sig.constness.is_some() {
            self.in_const(body);
        } else {
            // A function's body runs at run time even if the function is declared inside a
            // const context, like a block initialising a static.
            let const_depth = std::mem::take(&mut self.const_depth);
            body(self);
            self.const_depth = const_depth;
        }
        self.functions.pop();
        self.namespace.pop();
    }

    /// Replace the statements of the body (not its braces) with values of the return type,
    /// except values that are already the whole body.
    fn fn_value_mutants(&mut self, sig: &Signature, block: &Block) {
        let (Some(first), Some(last)) = (block.stmts.first(), block.stmts.last()) else { return };
        let (start, end) = (first.span().start(), last.span().end());
        let body = pretty(block);
        for replacement in return_type_replacements(&sig.output) {
            if pretty_tokens(quote! { { #replacement } }) != body {
                self.add(start, end, pretty_tokens(replacement), Genre::FnValue, &Detail::None);
            }
        }
    }

    fn condition_mutant(&mut self, keyword: &'static str, cond: &Expr) {
        if contains_let(cond) || negation_is_redundant(cond) {
            return;
        }
        let span = cond.span();
        let Some((start, end)) = self.range(span.start(), span.end()) else { return };
        let replacement = format!("!({})", &self.source[start..end]);
        self.add(span.start(), span.end(), replacement, Genre::Condition, &Detail::Condition { keyword });
    }

    fn in_for_or_while(&self) -> bool {
        self.loops.last() == Some(&LoopScope::ForOrWhile)
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_file(&mut self, i: &'ast syn::File) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_file(self, i);
        }
    }

    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        if !fn_excluded(&i.sig, &i.attrs) {
            self.function(&i.sig, &i.block, |v| visit::visit_item_fn(v, i));
        }
    }

    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        // Constructors named `new` are left alone: there is rarely a good alternative.
        if !fn_excluded(&i.sig, &i.attrs) && i.sig.ident != "new" {
            self.function(&i.sig, &i.block, |v| visit::visit_impl_item_fn(v, i));
        }
    }

    fn visit_trait_item_fn(&mut self, i: &'ast syn::TraitItemFn) {
        if !fn_excluded(&i.sig, &i.attrs)
            && i.sig.ident != "new"
            && let Some(block) = &i.default
        {
            self.function(&i.sig, block, |v| visit::visit_trait_item_fn(v, i));
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if attrs_excluded(&i.attrs) {
            return;
        }
        let type_name = pretty(&i.self_ty);
        let name = match &i.trait_ {
            // There's no obvious other default to give.
            Some((_, trait_path, _)) if path_ends_with(trait_path, "Default") => return,
            Some((_, trait_path, _)) => format!("<impl {} for {type_name}>", pretty(trait_path)),
            None => type_name,
        };
        self.in_namespace(name, |v| visit::visit_item_impl(v, i));
    }

    fn visit_item_trait(&mut self, i: &'ast syn::ItemTrait) {
        if !attrs_excluded(&i.attrs) {
            self.in_namespace(i.ident.to_string(), |v| visit::visit_item_trait(v, i));
        }
    }

    fn visit_item_mod(&mut self, i: &'ast syn::ItemMod) {
        if attrs_excluded(&i.attrs) {
            return;
        }
        let name = syn::ext::IdentExt::unraw(&i.ident).to_string();
        self.in_namespace(name, |v| visit::visit_item_mod(v, i));
    }

    // Const contexts. Unlike cargo-mutants, skip attributes and `#[cfg(test)]` are honoured
    // on all these items too.
    fn visit_item_const(&mut self, i: &'ast syn::ItemConst) {
        if !attrs_excluded(&i.attrs) {
            self.in_const(|v| visit::visit_item_const(v, i));
        }
    }

    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        if !attrs_excluded(&i.attrs) {
            self.in_const(|v| visit::visit_item_static(v, i));
        }
    }

    fn visit_impl_item_const(&mut self, i: &'ast syn::ImplItemConst) {
        if !attrs_excluded(&i.attrs) {
            self.in_const(|v| visit::visit_impl_item_const(v, i));
        }
    }

    fn visit_trait_item_const(&mut self, i: &'ast syn::TraitItemConst) {
        if !attrs_excluded(&i.attrs) {
            self.in_const(|v| visit::visit_trait_item_const(v, i));
        }
    }

    fn visit_item_enum(&mut self, i: &'ast syn::ItemEnum) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_item_enum(self, i);
        }
    }

    fn visit_variant(&mut self, i: &'ast syn::Variant) {
        // The discriminant is a const context, and so are the fields' types.
        if !attrs_excluded(&i.attrs) {
            self.in_const(|v| visit::visit_variant(v, i));
        }
    }

    fn visit_item_struct(&mut self, i: &'ast syn::ItemStruct) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_item_struct(self, i);
        }
    }

    fn visit_item_union(&mut self, i: &'ast syn::ItemUnion) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_item_union(self, i);
        }
    }

    fn visit_field(&mut self, i: &'ast syn::Field) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_field(self, i);
        }
    }

    fn visit_item_type(&mut self, i: &'ast syn::ItemType) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_item_type(self, i);
        }
    }

    fn visit_impl_item_type(&mut self, i: &'ast syn::ImplItemType) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_impl_item_type(self, i);
        }
    }

    fn visit_trait_item_type(&mut self, i: &'ast syn::TraitItemType) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_trait_item_type(self, i);
        }
    }

    fn visit_item_foreign_mod(&mut self, i: &'ast syn::ItemForeignMod) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_item_foreign_mod(self, i);
        }
    }

    fn visit_foreign_item(&mut self, i: &'ast syn::ForeignItem) {
        let attrs = match i {
            syn::ForeignItem::Fn(f) => &f.attrs,
            syn::ForeignItem::Static(s) => &s.attrs,
            syn::ForeignItem::Type(t) => &t.attrs,
            syn::ForeignItem::Macro(m) => &m.attrs,
            _ => return,
        };
        if !attrs_excluded(attrs) {
            visit::visit_foreign_item(self, i);
        }
    }

    fn visit_expr_const(&mut self, i: &'ast syn::ExprConst) {
        self.in_const(|v| visit::visit_expr_const(v, i));
    }

    // Expressions in types (array lengths, const generic arguments), in generic parameters
    // (const defaults) and in patterns are all evaluated at compile time.
    fn visit_type(&mut self, i: &'ast Type) {
        self.in_const(|v| visit::visit_type(v, i));
    }

    fn visit_generics(&mut self, i: &'ast syn::Generics) {
        self.in_const(|v| visit::visit_generics(v, i));
    }

    fn visit_generic_argument(&mut self, i: &'ast GenericArgument) {
        self.in_const(|v| visit::visit_generic_argument(v, i));
    }

    fn visit_pat(&mut self, i: &'ast syn::Pat) {
        self.in_const(|v| visit::visit_pat(v, i));
    }

    fn visit_expr_repeat(&mut self, i: &'ast syn::ExprRepeat) {
        self.visit_expr(&i.expr);
        self.in_const(|v| v.visit_expr(&i.len));
    }

    fn visit_expr_unsafe(&mut self, _: &'ast syn::ExprUnsafe) {}

    fn visit_expr(&mut self, i: &'ast Expr) {
        if !attrs_excluded(expr_attrs(i)) {
            visit::visit_expr(self, i);
        }
    }

    fn visit_local(&mut self, i: &'ast syn::Local) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_local(self, i);
        }
    }

    fn visit_arm(&mut self, i: &'ast syn::Arm) {
        if !attrs_excluded(&i.attrs) {
            visit::visit_arm(self, i);
        }
    }

    fn visit_expr_call(&mut self, i: &'ast syn::ExprCall) {
        // Like cargo-mutants by default, leave alone the arguments to `with_capacity`.
        if let Expr::Path(path) = &*i.func
            && path_ends_with(&path.path, "with_capacity")
        {
            return;
        }
        visit::visit_expr_call(self, i);
    }

    fn visit_expr_method_call(&mut self, i: &'ast syn::ExprMethodCall) {
        if i.method != "with_capacity" {
            visit::visit_expr_method_call(self, i);
        }
    }

    fn visit_expr_binary(&mut self, i: &'ast syn::ExprBinary) {
        let replacements: &[&str] = match i.op {
            BinOp::Eq(_) => &["!="],
            BinOp::Ne(_) => &["=="],
            // `||` is not allowed in a chain of `let`s.
            BinOp::And(_) if contains_let(&i.left) || contains_let(&i.right) => &[],
            BinOp::And(_) => &["||"],
            BinOp::Or(_) => &["&&"],
            BinOp::Lt(_) => &["==", ">", "<="],
            BinOp::Gt(_) => &["==", "<", ">="],
            BinOp::Le(_) => &[">"],
            BinOp::Ge(_) => &["<"],
            BinOp::Add(_) => &["-", "*"],
            BinOp::AddAssign(_) => &["-=", "*="],
            BinOp::Sub(_) | BinOp::Mul(_) => &["+", "/"],
            BinOp::SubAssign(_) | BinOp::MulAssign(_) => &["+=", "/="],
            BinOp::Div(_) => &["%", "*"],
            BinOp::DivAssign(_) => &["%=", "*="],
            BinOp::Rem(_) => &["/", "+"],
            BinOp::RemAssign(_) => &["/=", "+="],
            BinOp::Shl(_) => &[">>"],
            BinOp::ShlAssign(_) => &[">>="],
            BinOp::Shr(_) => &["<<"],
            BinOp::ShrAssign(_) => &["<<="],
            BinOp::BitAnd(_) => &["|", "^"],
            BinOp::BitAndAssign(_) => &["|="],
            BinOp::BitOr(_) => &["&", "^"],
            BinOp::BitOrAssign(_) => &["&="],
            BinOp::BitXor(_) => &["|", "&"],
            BinOp::BitXorAssign(_) => &["|=", "&="],
            _ => &[],
        };
        for replacement in replacements {
            // `x as u8 < y` would start generic arguments of `u8`.
            if replacement.starts_with('<') && !replacement.starts_with("<=") && ends_with_cast(&i.left) {
                continue;
            }
            self.add_spanned(&i.op, replacement, Genre::BinaryOperator, &Detail::None);
        }
        visit::visit_expr_binary(self, i);
    }

    fn visit_expr_unary(&mut self, i: &'ast syn::ExprUnary) {
        if matches!(i.op, UnOp::Not(_) | UnOp::Neg(_)) {
            self.add_spanned(&i.op, "", Genre::UnaryOperator, &Detail::None);
        }
        visit::visit_expr_unary(self, i);
    }

    fn visit_expr_match(&mut self, i: &'ast syn::ExprMatch) {
        let is_wild = |arm: &syn::Arm| matches!(arm.pat, syn::Pat::Wild(_));
        if i.arms.iter().any(is_wild) {
            // Deleting an arm lets its values fall through to the `_` arm. The `_` arm itself
            // is kept, and so are arms with guards, whose guard is replaced with `false` below.
            for arm in i.arms.iter().filter(|arm| !is_wild(arm) && arm.guard.is_none()) {
                let pattern = pretty(&arm.pat);
                self.add_spanned(arm, "", Genre::MatchArm, &Detail::MatchArm { pattern });
            }
        }
        for (_, guard) in i.arms.iter().filter_map(|arm| arm.guard.as_ref()) {
            self.add_spanned(guard, "true", Genre::MatchArmGuard, &Detail::None);
            self.add_spanned(guard, "false", Genre::MatchArmGuard, &Detail::None);
        }
        visit::visit_expr_match(self, i);
    }

    fn visit_expr_struct(&mut self, i: &'ast syn::ExprStruct) {
        if i.rest.is_some() {
            let struct_name = pretty(&i.path);
            for pair in i.fields.pairs() {
                let field = pair.value();
                let syn::Member::Named(field_name) = &field.member else { continue };
                // Delete the field together with its comma.
                let start = field.span().start();
                let end = match pair.punct() {
                    Some(comma) => comma.span.end(),
                    None => field.span().end(),
                };
                let detail =
                    Detail::StructField { field: field_name.to_string(), struct_name: struct_name.clone() };
                self.add(start, end, String::new(), Genre::StructField, &detail);
            }
        }
        visit::visit_expr_struct(self, i);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.condition_mutant("if", &i.cond);
        visit::visit_expr_if(self, i);
    }

    fn visit_expr_while(&mut self, i: &'ast syn::ExprWhile) {
        self.condition_mutant("while", &i.cond);
        self.visit_expr(&i.cond);
        self.in_loop_scope(LoopScope::ForOrWhile, |v| v.visit_block(&i.body));
    }

    fn visit_expr_for_loop(&mut self, i: &'ast syn::ExprForLoop) {
        self.visit_expr(&i.expr);
        self.in_loop_scope(LoopScope::ForOrWhile, |v| v.visit_block(&i.body));
    }

    fn visit_expr_loop(&mut self, i: &'ast syn::ExprLoop) {
        self.in_loop_scope(LoopScope::Loop, |v| v.visit_block(&i.body));
    }

    fn visit_expr_closure(&mut self, i: &'ast syn::ExprClosure) {
        self.in_loop_scope(LoopScope::Barrier, |v| visit::visit_expr_closure(v, i));
    }

    fn visit_expr_async(&mut self, i: &'ast syn::ExprAsync) {
        self.in_loop_scope(LoopScope::Barrier, |v| visit::visit_expr_async(v, i));
    }

    fn visit_expr_break(&mut self, i: &'ast syn::ExprBreak) {
        if i.label.is_none() && i.expr.is_none() && self.in_for_or_while() {
            self.add_spanned(&i.break_token, "continue", Genre::LoopControl, &Detail::None);
        }
        visit::visit_expr_break(self, i);
    }

    fn visit_expr_continue(&mut self, i: &'ast syn::ExprContinue) {
        if i.label.is_none() && self.in_for_or_while() {
            self.add_spanned(&i.continue_token, "break", Genre::LoopControl, &Detail::None);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Unified diffs

#[derive(Clone, Copy, PartialEq, Eq)]
enum DiffOp {
    Equal,
    Delete,
    Insert,
}

/// The edit script turning `old` into `new`, line by line, keeping a longest common subsequence.
fn diff_lines(old: &[&str], new: &[&str]) -> Vec<DiffOp> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix =
        old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (old_mid, new_mid) = (&old[prefix..old.len() - suffix], &new[prefix..new.len() - suffix]);
    let mut ops = vec![DiffOp::Equal; prefix];
    let (n, m) = (old_mid.len(), new_mid.len());
    if n.saturating_mul(m) > 4_000_000 {
        ops.extend(std::iter::repeat_n(DiffOp::Delete, n));
        ops.extend(std::iter::repeat_n(DiffOp::Insert, m));
    } else {
        // lcs[i][j] is the length of the LCS of old_mid[i..] and new_mid[j..].
        let mut lcs = vec![vec![0usize; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if old_mid[i] == new_mid[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && old_mid[i] == new_mid[j] {
                ops.push(DiffOp::Equal);
                i += 1;
                j += 1;
            } else if j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push(DiffOp::Delete);
                i += 1;
            } else {
                ops.push(DiffOp::Insert);
                j += 1;
            }
        }
    }
    ops.extend(std::iter::repeat_n(DiffOp::Equal, suffix));
    ops
}

/// Format one side's range in a hunk header, like `diff -u`: `start,count`, or `start` for one
/// line, and for no lines the number of the line before.
fn hunk_range(first: usize, count: usize) -> String {
    match count {
        0 => format!("{first},0"),
        1 => format!("{}", first + 1),
        _ => format!("{},{}", first + 1, count),
    }
}

fn unified_diff(file: &str, old: &str, new: &str, context: usize) -> String {
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = diff_lines(&old_lines, &new_lines);
    let changes: Vec<usize> = (0..ops.len()).filter(|&k| ops[k] != DiffOp::Equal).collect();
    if changes.is_empty() {
        return String::new();
    }
    // Group changes whose gap is small enough that their contexts touch.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &k in &changes {
        match groups.last_mut() {
            Some((_, last)) if k - *last <= 2 * context + 1 => *last = k,
            _ => groups.push((k, k)),
        }
    }
    // Line numbers in old and new before each op.
    let mut positions = Vec::with_capacity(ops.len() + 1);
    let (mut o, mut n) = (0, 0);
    for op in &ops {
        positions.push((o, n));
        match op {
            DiffOp::Equal => {
                o += 1;
                n += 1;
            }
            DiffOp::Delete => o += 1,
            DiffOp::Insert => n += 1,
        }
    }
    positions.push((o, n));
    let mut out = format!("--- a/{file}\n+++ b/{file}\n");
    for (first, last) in groups {
        let from = first.saturating_sub(context);
        let to = (last + 1 + context).min(ops.len());
        let (old_start, new_start) = positions[from];
        let (old_end, new_end) = positions[to];
        out.push_str("@@ -");
        out.push_str(&hunk_range(old_start, old_end - old_start));
        out.push_str(" +");
        out.push_str(&hunk_range(new_start, new_end - new_start));
        out.push_str(" @@\n");
        for k in from..to {
            let (o, n) = positions[k];
            let (mark, line) = match ops[k] {
                DiffOp::Equal => (' ', old_lines[o]),
                DiffOp::Delete => ('-', old_lines[o]),
                DiffOp::Insert => ('+', new_lines[n]),
            };
            out.push(mark);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(source: &str) -> Vec<String> {
        discover("src/lib.rs", source).expect("parse").into_iter().map(|m| m.name).collect()
    }

    /// Names of the mutants of a snippet placed inside `fn f()`, without the file, position,
    /// function name and the mutants of `f` itself.
    fn mutate_expr(code: &str) -> Vec<String> {
        let source = format!("fn f() {{\n{code}\n}}\n");
        discover("src/main.rs", &source)
            .expect("parse")
            .into_iter()
            .filter(|m| m.genre != Genre::FnValue)
            .map(|m| {
                let (_, change) = m.name.split_once(": ").expect("location");
                change.strip_suffix(" in f").expect("function").to_owned()
            })
            .collect()
    }

    fn replacements(return_type: &str) -> Vec<String> {
        let return_type: ReturnType = syn::parse_str(return_type).expect("return type");
        return_type_replacements(&return_type).into_iter().map(pretty_tokens).collect()
    }

    fn sample(name: &str) -> String {
        SAMPLES.iter().find(|(n, _)| *n == name).expect("sample").1.to_owned()
    }

    const SAMPLES: &[(&str, &str)] = &[
        (
            "every_genre",
            r#"use std::fmt;

pub fn add(a: i32, b: i32) -> i32 {
    a + b
}

pub struct Point {
    x: f64,
    y: f64,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Point { x: x + 1.0, y }
    }

    pub fn is_origin(&self) -> bool {
        self.x == 0.0 && !(self.y != 0.0)
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

fn classify(v: Option<i32>) -> &'static str {
    match v {
        Some(x) if x > 0 => "positive",
        Some(0) => "zero",
        None => "none",
        _ => "negative",
    }
}

fn make(base: Point) -> Point {
    Point { x: -1.0, ..base }
}

fn count(items: &[u32]) {
    let mut n = 0;
    for i in items {
        if *i > 3 {
            continue;
        }
        n += 1;
    }
    while n > 10 {
        break;
    }
}
"#,
        ),
        (
            "larger",
            r#"#![allow(dead_code)]
//! A larger sample, with as much syntax as fits.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

pub const LIMIT: usize = 4 * 1024;
static NAMES: [&str; 2 + 1] = ["a", "b", "c"];

#[derive(Debug, Default, Clone)]
pub struct Config {
    pub name: String,
    pub retries: u32,
    pub ratio: f64,
    pub tags: Vec<String>,
}

pub enum Shape {
    Circle(f64),
    Rect { w: f64, h: f64 },
    Empty = 1 << 3,
}

pub trait Area {
    fn area(&self) -> f64;

    fn is_big(&self) -> bool {
        self.area() > 100.0 || self.area() < -100.0
    }

    fn describe(&self) -> String {
        format!("area {}", self.area())
    }
}

impl Area for Shape {
    fn area(&self) -> f64 {
        match self {
            Shape::Circle(r) => 3.14 * r * r,
            Shape::Rect { w, h } if *w > 0.0 && *h > 0.0 => w * h,
            Shape::Rect { .. } => 0.0,
            _ => -1.0,
        }
    }
}

impl<'a> From<&'a str> for Config {
    fn from(name: &'a str) -> Config {
        Config { name: name.to_owned(), retries: 3, ..Default::default() }
    }
}

impl Config {
    pub fn with_retries(self, retries: u32) -> Self {
        Config { retries, tags: vec![], ..self }
    }

    pub fn tags(&self) -> impl Iterator<Item = &String> + '_ {
        self.tags.iter().filter(|t| !t.is_empty())
    }

    pub fn index(&self) -> HashMap<String, usize> {
        let mut map = HashMap::with_capacity(self.tags.len() * 2);
        for (i, tag) in self.tags.iter().enumerate() {
            map.insert(tag.clone(), i);
        }
        map
    }

    pub fn sorted(&self) -> BTreeMap<&str, bool> {
        self.tags.iter().map(|t| (t.as_str(), t.len() % 2 == 0)).collect()
    }

    pub fn unique(&self) -> HashSet<String> {
        self.tags.iter().cloned().collect()
    }

    fn label(&self) -> Cow<'static, str> {
        if self.name.is_empty() { Cow::Borrowed("none") } else { Cow::Owned(self.name.clone()) }
    }

    fn shared(&self) -> Arc<String> {
        Arc::new(self.name.clone())
    }

    fn pair(&self) -> (bool, Option<u8>) {
        (self.retries >= 1, self.retries.checked_sub(1).map(|r| r as u8))
    }

    fn bytes(&self) -> [u8; 4] {
        let mut out = [0u8; 4];
        out[0] = (self.retries >> 8) as u8;
        out[1] = (self.retries << 2) as u8 ^ 0xff;
        out[2] |= 1;
        out[3] &= !1;
        out
    }

    fn first(&self) -> &[String] {
        &self.tags[..1.min(self.tags.len())]
    }

    fn name_mut(&mut self) -> &mut String {
        &mut self.name
    }

    fn ratio(&self) -> Result<f64, String> {
        if self.ratio <= 0.0 {
            return Err("bad".into());
        }
        Ok(self.ratio / 2.0 - 1.0)
    }
}

pub fn search(haystack: &[i64], needle: i64) -> Option<usize> {
    let (mut lo, mut hi) = (0usize, haystack.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match haystack[mid].cmp(&needle) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

pub fn totals(rows: &[Vec<i64>]) -> Vec<i64> {
    let mut out = Vec::new();
    'rows: for row in rows {
        let mut sum = 0i64;
        for &v in row {
            if v == i64::MIN {
                continue 'rows;
            }
            if v < 0 {
                continue;
            }
            sum += v;
            sum %= 1_000_007;
            sum *= 1;
            sum /= 1;
            sum -= 0;
            sum <<= 0;
            sum >>= 0;
            sum ^= 0;
        }
        let value = loop {
            if sum > 0 {
                break sum;
            }
            break 0;
        };
        out.push(value);
    }
    out
}

pub fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
    let trimmed = input.trim();
    let Some(rest) = trimmed.strip_prefix('+') else {
        return trimmed.parse();
    };
    if let Some(x) = rest.strip_suffix('!')
        && !x.is_empty()
    {
        return x.parse::<u32>().map(|v| v * 2);
    }
    rest.parse()
}

pub async fn fetch(n: u64) -> u64 {
    let f = async move { n + 1 };
    f.await
}

pub fn closures(values: &[i32]) -> i32 {
    let double = |x: i32| -> i32 { x * 2 };
    let mut total = 0;
    values.iter().for_each(|v| total += double(*v));
    let casted = total as i64 as i32;
    let r = &casted;
    -*r + if total != 0 { 1 } else { 0 }
}

pub fn ranges(n: usize) -> usize {
    (0..n).chain(1..=n).filter(|i| i % 3 != 0).count()
}

fn uses_unsafe(p: *const u8) -> u8 {
    unsafe { *p + 1 }
}

const fn const_add(a: u32) -> u32 {
    a + 1
}

fn outer() -> u32 {
    fn inner(x: u32) -> u32 {
        x - 1
    }
    inner(2) * [1u32; 3 * 2].len() as u32
}

mod nested {
    pub fn deep(flag: bool) -> bool {
        !flag
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn it_works() {
            assert!(super::deep(false));
        }
    }
}
"#,
        ),
    ];

    #[test]
    fn names_for_every_genre() {
        let expected = [
            "src/lib.rs:4:5: replace add -> i32 with -1",
            "src/lib.rs:4:5: replace add -> i32 with 0",
            "src/lib.rs:4:5: replace add -> i32 with 1",
            "src/lib.rs:4:7: replace + with * in add",
            "src/lib.rs:4:7: replace + with - in add",
            "src/lib.rs:18:9: replace Point::is_origin -> bool with false",
            "src/lib.rs:18:9: replace Point::is_origin -> bool with true",
            "src/lib.rs:18:16: replace == with != in Point::is_origin",
            "src/lib.rs:18:23: replace && with || in Point::is_origin",
            "src/lib.rs:18:26: delete ! in Point::is_origin",
            "src/lib.rs:18:35: replace != with == in Point::is_origin",
            "src/lib.rs:24:9: replace <impl fmt::Display for Point>::fmt -> fmt::Result with Ok(Default::default())",
            "src/lib.rs:29:5: replace classify -> &'static str with \"\"",
            "src/lib.rs:29:5: replace classify -> &'static str with \"xyzzy\"",
            "src/lib.rs:30:20: replace match guard x > 0 with false in classify",
            "src/lib.rs:30:20: replace match guard x > 0 with true in classify",
            "src/lib.rs:30:22: replace > with < in classify",
            "src/lib.rs:30:22: replace > with == in classify",
            "src/lib.rs:30:22: replace > with >= in classify",
            "src/lib.rs:31:9: delete match arm Some(0) in classify",
            "src/lib.rs:32:9: delete match arm None in classify",
            "src/lib.rs:38:5: replace make -> Point with Default::default()",
            "src/lib.rs:38:13: delete field x from struct Point expression in make",
            "src/lib.rs:38:16: delete - in make",
            "src/lib.rs:42:5: replace count with ()",
            "src/lib.rs:44:12: replace if condition *i > 3 with !(*i > 3) in count",
            "src/lib.rs:44:15: replace > with < in count",
            "src/lib.rs:44:15: replace > with == in count",
            "src/lib.rs:44:15: replace > with >= in count",
            "src/lib.rs:45:13: replace continue with break in count",
            "src/lib.rs:47:11: replace += with *= in count",
            "src/lib.rs:47:11: replace += with -= in count",
            "src/lib.rs:49:11: replace while condition n > 10 with !(n > 10) in count",
            "src/lib.rs:49:13: replace > with < in count",
            "src/lib.rs:49:13: replace > with == in count",
            "src/lib.rs:49:13: replace > with >= in count",
            "src/lib.rs:50:9: replace break with continue in count",
        ];
        let source = sample("every_genre");
        assert_eq!(names(&source), expected);
        let mutants = discover("src/lib.rs", &source).unwrap();
        let genres: std::collections::BTreeSet<Genre> = mutants.iter().map(|m| m.genre).collect();
        assert_eq!(genres.len(), 8, "every genre appears: {genres:?}");
    }

    #[test]
    fn mutant_fields() {
        let source = "fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
        let mutants = discover("src/x.rs", source).unwrap();
        let plus = mutants.iter().find(|m| m.replacement == "-").unwrap();
        assert_eq!(
            *plus,
            Mutant {
                file: "src/x.rs".into(),
                line: 2,
                column: 7,
                end_line: 2,
                end_column: 8,
                start: 38,
                end: 39,
                original: "+".into(),
                replacement: "-".into(),
                genre: Genre::BinaryOperator,
                function: Some("add".into()),
                return_type: Some("-> i32".into()),
                name: "src/x.rs:2:7: replace + with - in add".into(),
                const_context: false,
            }
        );
        let zero = mutants.iter().find(|m| m.replacement == "0").unwrap();
        assert_eq!((zero.line, zero.column, zero.end_line, zero.end_column), (2, 5, 2, 10));
        assert_eq!(zero.original, "a + b");
        assert_eq!(apply(source, zero), "fn add(a: i32, b: i32) -> i32 {\n    0\n}\n");
        let unit = discover("a.rs", "fn f() { g(); }").unwrap();
        assert_eq!(unit[0].return_type, None);
        assert_eq!(unit[0].function.as_deref(), Some("f"));
        assert_eq!(unit[0].name, "a.rs:1:10: replace f with ()");
    }

    #[test]
    fn genre_names() {
        let all = [
            Genre::FnValue,
            Genre::BinaryOperator,
            Genre::UnaryOperator,
            Genre::MatchArm,
            Genre::MatchArmGuard,
            Genre::StructField,
            Genre::Condition,
            Genre::LoopControl,
        ];
        let names: Vec<&str> = all.iter().map(|g| g.as_str()).collect();
        assert_eq!(
            names,
            [
                "FnValue",
                "BinaryOperator",
                "UnaryOperator",
                "MatchArm",
                "MatchArmGuard",
                "StructField",
                "Condition",
                "LoopControl"
            ]
        );
        assert_eq!(format!("{:?}", Genre::MatchArmGuard), Genre::MatchArmGuard.as_str());
    }

    #[test]
    fn sorted_by_start_end_and_replacement() {
        let source = sample("larger");
        let mutants = discover("src/lib.rs", &source).unwrap();
        assert!(mutants.len() > 100, "{}", mutants.len());
        for pair in mutants.windows(2) {
            let key = |m: &Mutant| (m.start, m.end, m.replacement.clone());
            assert!(key(&pair[0]) < key(&pair[1]), "{} then {}", pair[0].name, pair[1].name);
        }
    }

    #[test]
    fn comparison_operators() {
        assert_eq!(mutate_expr("a > b;"), ["replace > with <", "replace > with ==", "replace > with >="]);
        assert_eq!(mutate_expr("a < b;"), ["replace < with <=", "replace < with ==", "replace < with >"]);
        assert_eq!(mutate_expr("a == b;"), ["replace == with !="]);
        assert_eq!(mutate_expr("a != b;"), ["replace != with =="]);
        assert_eq!(mutate_expr("a >= b;"), ["replace >= with <"]);
        assert_eq!(mutate_expr("a <= b;"), ["replace <= with >"]);
    }

    #[test]
    fn arithmetic_logical_and_bitwise_operators() {
        assert_eq!(mutate_expr("a >> 2;"), ["replace >> with <<"]);
        assert_eq!(mutate_expr("a << 2;"), ["replace << with >>"]);
        assert_eq!(mutate_expr("a && b;"), ["replace && with ||"]);
        assert_eq!(mutate_expr("a || b;"), ["replace || with &&"]);
        assert_eq!(mutate_expr("a + b;"), ["replace + with *", "replace + with -"]);
        assert_eq!(mutate_expr("a - b;"), ["replace - with +", "replace - with /"]);
        assert_eq!(mutate_expr("a * b;"), ["replace * with +", "replace * with /"]);
        assert_eq!(mutate_expr("a / b;"), ["replace / with %", "replace / with *"]);
        assert_eq!(mutate_expr("a % b;"), ["replace % with +", "replace % with /"]);
        assert_eq!(mutate_expr("a & b;"), ["replace & with ^", "replace & with |"]);
        assert_eq!(mutate_expr("a | b;"), ["replace | with &", "replace | with ^"]);
        assert_eq!(mutate_expr("a ^ b;"), ["replace ^ with &", "replace ^ with |"]);
    }

    #[test]
    fn assignment_operators() {
        assert_eq!(mutate_expr("a += b;"), ["replace += with *=", "replace += with -="]);
        assert_eq!(mutate_expr("a -= b;"), ["replace -= with +=", "replace -= with /="]);
        assert_eq!(mutate_expr("a *= b;"), ["replace *= with +=", "replace *= with /="]);
        assert_eq!(mutate_expr("a /= b;"), ["replace /= with %=", "replace /= with *="]);
        assert_eq!(mutate_expr("a %= b;"), ["replace %= with +=", "replace %= with /="]);
        assert_eq!(mutate_expr("a &= b;"), ["replace &= with |="]);
        assert_eq!(mutate_expr("a |= b;"), ["replace |= with &="]);
        assert_eq!(mutate_expr("a ^= b;"), ["replace ^= with &=", "replace ^= with |="]);
        assert_eq!(mutate_expr("a >>= b;"), ["replace >>= with <<="]);
        assert_eq!(mutate_expr("a <<= b;"), ["replace <<= with >>="]);
        assert_eq!(mutate_expr("a = b;"), Vec::<String>::new());
        // After a cast, `<` and `<<` would start generic arguments, so they are not generated.
        assert_eq!(mutate_expr("a as i8 > 2;"), ["replace > with ==", "replace > with >="]);
        assert_eq!(mutate_expr("x + a as i8 >> 2;"), ["replace + with *", "replace + with -"]);
        assert_eq!(
            mutate_expr("(a as i8) > 2;"),
            ["replace > with <", "replace > with ==", "replace > with >="]
        );
    }

    #[test]
    fn unary_operators() {
        assert_eq!(mutate_expr("let x = !a;"), ["delete !"]);
        assert_eq!(mutate_expr("let x = -a;"), ["delete -"]);
        assert_eq!(mutate_expr("let x = *a;"), Vec::<String>::new());
    }

    #[test]
    fn match_arms_and_guards() {
        let code = "match x {\n    X::A if foo() => {}\n    X::A => {}\n    1 | 2 => {}\n    _ => {}\n}";
        assert_eq!(
            mutate_expr(code),
            [
                "replace match guard foo() with false",
                "replace match guard foo() with true",
                "delete match arm X::A",
                "delete match arm 1 | 2",
            ]
        );
        // Without a `_` arm no arm is deleted, but guards are still replaced.
        assert_eq!(
            mutate_expr("match x {\n    X::A => {}\n    X::B if b => {}\n    X::B => {}\n}"),
            ["replace match guard b with false", "replace match guard b with true"]
        );
        // A multi-line guard is shown on one line.
        assert_eq!(
            mutate_expr("match x {\n    n if n\n        .is_ok() => {}\n    _ => {}\n}"),
            ["replace match guard n .is_ok() with false", "replace match guard n .is_ok() with true"]
        );
    }

    #[test]
    fn struct_fields() {
        let code =
            "let cat = Cat {\n    name: \"Felix\",\n    coat: Coat::Tuxedo,\n    ..Default::default()\n};";
        assert_eq!(
            mutate_expr(code),
            ["delete field name from struct Cat expression", "delete field coat from struct Cat expression"]
        );
        assert_eq!(
            mutate_expr("let cat = Cat { name: \"Felix\", coat: Coat::Tuxedo };"),
            Vec::<String>::new()
        );
        let source = "fn f(b: S) -> S {\n    S { a: 1, b: 2, ..b }\n}\n";
        let mutants = discover("a.rs", source).unwrap();
        let deleted: Vec<String> =
            mutants.iter().filter(|m| m.genre == Genre::StructField).map(|m| apply(source, m)).collect();
        assert_eq!(
            deleted,
            ["fn f(b: S) -> S {\n    S {  b: 2, ..b }\n}\n", "fn f(b: S) -> S {\n    S { a: 1,  ..b }\n}\n"]
        );
    }

    #[test]
    fn conditions() {
        assert_eq!(
            mutate_expr("if a && b { x() } else if c { y() }"),
            [
                "replace if condition a && b with !(a && b)",
                "replace && with ||",
                "replace if condition c with !(c)"
            ]
        );
        // Nothing to negate in `if let` and `let` chains, and `||` is not allowed in a chain.
        assert_eq!(mutate_expr("if let Some(x) = y { x() }"), Vec::<String>::new());
        assert_eq!(
            mutate_expr("if let Some(x) = y && x > 1 { x() }"),
            ["replace > with <", "replace > with ==", "replace > with >="]
        );
        assert_eq!(mutate_expr("while let Some(x) = y.pop() { x(); }"), Vec::<String>::new());
        // Negating `!a`, `a == b` or `a != b` would repeat an operator mutant.
        assert_eq!(mutate_expr("if !a { x() }"), ["delete !"]);
        assert_eq!(mutate_expr("while (a == b) { x(); }"), ["replace == with !="]);
        assert_eq!(
            mutate_expr("while a.busy() { x(); }"),
            ["replace while condition a.busy() with !(a.busy())"]
        );
    }

    #[test]
    fn loop_control() {
        assert_eq!(
            mutate_expr("for x in y { if p { continue; } break; }"),
            [
                "replace if condition p with !(p)",
                "replace continue with break",
                "replace break with continue"
            ]
        );
        assert_eq!(
            mutate_expr("while p { break; }"),
            ["replace while condition p with !(p)", "replace break with continue"]
        );
        // `loop` is left alone: `break` may carry its value, and `continue` would probably hang.
        assert_eq!(mutate_expr("loop { break; }"), Vec::<String>::new());
        assert_eq!(mutate_expr("for x in y { loop { continue; } }"), Vec::<String>::new());
        // Labelled, valued, or inside a closure or async block.
        assert_eq!(
            mutate_expr("'a: for x in y { for z in x { break 'a; continue 'a; } }"),
            Vec::<String>::new()
        );
        assert_eq!(mutate_expr("let v = loop { break 1; };"), Vec::<String>::new());
        assert_eq!(mutate_expr("for x in y { let c = || loop { break; }; }"), Vec::<String>::new());
        assert_eq!(mutate_expr("for x in y { let c = async { loop { break; } }; }"), Vec::<String>::new());
        assert_eq!(mutate_expr("loop { for x in y { break; } }"), ["replace break with continue"]);
    }

    #[test]
    fn fn_value_names_and_skips() {
        let source = r#"
trait Shape {
    fn area(&self) -> f64 {
        0.5 * self.side()
    }
    fn side(&self) -> f64;
    fn new() -> Self where Self: Sized { todo!() }
}

struct Sq(f64);

impl Sq {
    fn new(side: f64) -> Self {
        Self(side + 0.0)
    }
    fn empty(&self) {}
    fn always_true() -> bool { true }
}

fn new() -> u8 {
    7
}

fn never() -> ! {
    panic!()
}

fn iter() -> impl std::fmt::Debug {
    1
}

mod geometry {
    impl super::Sq {
        fn outer(&self) -> u8 {
            fn inner() -> bool { false }
            inner() as u8
        }
    }
}

impl<T> Default for Wrapper<T> {
    fn default() -> Self {
        Wrapper(1 + 1)
    }
}
"#;
        assert_eq!(
            names(source),
            [
                "src/lib.rs:4:9: replace Shape::area -> f64 with -1.0",
                "src/lib.rs:4:9: replace Shape::area -> f64 with 0.0",
                "src/lib.rs:4:9: replace Shape::area -> f64 with 1.0",
                "src/lib.rs:4:13: replace * with + in Shape::area",
                "src/lib.rs:4:13: replace * with / in Shape::area",
                "src/lib.rs:17:32: replace Sq::always_true -> bool with false",
                "src/lib.rs:21:5: replace new -> u8 with 0",
                "src/lib.rs:21:5: replace new -> u8 with 1",
                "src/lib.rs:35:13: replace geometry::super::Sq::outer -> u8 with 0",
                "src/lib.rs:35:13: replace geometry::super::Sq::outer -> u8 with 1",
                "src/lib.rs:35:34: replace geometry::super::Sq::outer::inner -> bool with true",
            ]
        );
    }

    #[test]
    fn impl_names_include_type_parameters() {
        let source = r#"
impl AsRef<str> for Apath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Apath> for String {
    fn from(a: Apath) -> String {
        a.0
    }
}

impl<'a> From<&'a str> for Apath {
    fn from(s: &'a str) -> Apath {
        Apath(s.to_string())
    }
}

impl<W: Write> Write for FmtToIoWrite<W> {
    fn write_str(&mut self, s: &str) -> Result<(), fmt::Error> {
        self.0.write_all(s.as_bytes()).map_err(|_| fmt::Error)
    }
}
"#;
        let changes: Vec<String> =
            names(source).iter().map(|n| n.split_once(": ").unwrap().1.to_owned()).collect();
        assert_eq!(
            changes,
            [
                "replace <impl AsRef<str> for Apath>::as_ref -> &str with \"\"",
                "replace <impl AsRef<str> for Apath>::as_ref -> &str with \"xyzzy\"",
                "replace <impl From<Apath> for String>::from -> String with \"xyzzy\".into()",
                "replace <impl From<Apath> for String>::from -> String with String::new()",
                "replace <impl From<&'a str> for Apath>::from -> Apath with Default::default()",
                "replace <impl Write for FmtToIoWrite<W>>::write_str -> Result<(), fmt::Error> with Ok(())",
            ]
        );
    }

    #[test]
    fn fn_value_replacements_by_type() {
        let cases: &[(&str, &[&str])] = &[
            ("", &["()"]),
            ("-> ()", &["()"]),
            ("-> bool", &["true", "false"]),
            ("-> u16", &["0", "1"]),
            ("-> isize", &["0", "1", "-1"]),
            ("-> f32", &["0.0", "1.0", "-1.0"]),
            ("-> std::num::NonZeroIsize", &["1.try_into().unwrap()", "(-1).try_into().unwrap()"]),
            ("-> NonZeroU32", &["1.try_into().unwrap()"]),
            ("-> NonZero<u8>", &["1.try_into().unwrap()"]),
            ("-> NonZero<i8>", &["1.try_into().unwrap()", "(-1).try_into().unwrap()"]),
            ("-> String", &["String::new()", "\"xyzzy\".into()"]),
            ("-> &str", &["\"\"", "\"xyzzy\""]),
            ("-> &'a str", &["\"\"", "\"xyzzy\""]),
            ("-> std::result::Result<bool>", &["Ok(true)", "Ok(false)"]),
            ("-> Result<(), Error>", &["Ok(())"]),
            ("-> fmt::Result", &["Ok(Default::default())"]),
            ("-> HttpResponse", &["HttpResponse::Ok().finish()"]),
            ("-> Option<usize>", &["None", "Some(0)", "Some(1)"]),
            ("-> Box<usize>", &["Box::new(0)", "Box::new(1)"]),
            ("-> Box<dyn Error>", &["Box::new(Default::default())"]),
            ("-> std::vec::Vec<String>", &["vec![]", "vec![String::new()]", "vec![\"xyzzy\".into()]"]),
            (
                "-> &'static String",
                &["Box::leak(Box::new(String::new()))", "Box::leak(Box::new(\"xyzzy\".into()))"],
            ),
            ("-> &mut bool", &["Box::leak(Box::new(true))", "Box::leak(Box::new(false))"]),
            ("-> [u8; 256]", &["[0; 256]", "[1; 256]"]),
            ("-> [u8; N * 2]", &["[0; N *2]", "[1; N *2]"]),
            ("-> alloc::sync::Arc<String>", &["Arc::new(String::new())", "Arc::new(\"xyzzy\".into())"]),
            ("-> Rc<bool>", &["Rc::new(true)", "Rc::new(false)"]),
            (
                "-> BTreeSet<String>",
                &[
                    "BTreeSet::new()",
                    "BTreeSet::from_iter([String::new()])",
                    "BTreeSet::from_iter([\"xyzzy\".into()])",
                ],
            ),
            ("-> HashSet<u8>", &["HashSet::new()", "HashSet::from_iter([0])", "HashSet::from_iter([1])"]),
            (
                "-> BTreeMap<String, bool>",
                &[
                    "BTreeMap::new()",
                    "BTreeMap::from_iter([(String::new(), true)])",
                    "BTreeMap::from_iter([(String::new(), false)])",
                    "BTreeMap::from_iter([(\"xyzzy\".into(), true)])",
                    "BTreeMap::from_iter([(\"xyzzy\".into(), false)])",
                ],
            ),
            (
                "-> Cow<'static, str>",
                &[
                    "Cow::Borrowed(\"\")",
                    "Cow::Owned(\"\".to_owned())",
                    "Cow::Borrowed(\"xyzzy\")",
                    "Cow::Owned(\"xyzzy\".to_owned())",
                ],
            ),
            (
                "-> UnknownContainer<'static, str>",
                &[
                    "UnknownContainer::new()",
                    "UnknownContainer::from_iter([\"\"])",
                    "UnknownContainer::new(\"\")",
                    "UnknownContainer::from(\"\")",
                    "UnknownContainer::from_iter([\"xyzzy\"])",
                    "UnknownContainer::new(\"xyzzy\")",
                    "UnknownContainer::from(\"xyzzy\")",
                ],
            ),
            ("-> (bool, usize)", &["(true, 0)", "(true, 1)", "(false, 0)", "(false, 1)"]),
            ("-> (bool,)", &["(true,)", "(false,)"]),
            (
                "-> impl Iterator<Item = String>",
                &[
                    "::std::iter::empty()",
                    "::std::iter::once(String::new())",
                    "::std::iter::once(\"xyzzy\".into())",
                ],
            ),
            ("-> impl Display", &[]),
            ("-> !", &[]),
            ("-> [u8]", &["Vec::leak(Vec::new())", "Vec::leak(vec![0])", "Vec::leak(vec![1])"]),
            ("-> &mut [bool]", &["Vec::leak(Vec::new())", "Vec::leak(vec![true])", "Vec::leak(vec![false])"]),
            ("-> Self", &["Default::default()"]),
            ("-> char", &["Default::default()"]),
            ("-> Option<(u8, ())>", &["None", "Some((0, ()))", "Some((1, ()))"]),
            ("-> std::string::String", &["Default::default()"]),
            ("-> HashMap<K, V, S>", &["Default::default()"]),
            ("-> *const u8", &["Default::default()"]),
            ("-> Option<&Type>", &["None", "Some(Box::leak(Box::new(Default::default())))"]),
        ];
        for (return_type, expected) in cases {
            assert_eq!(replacements(return_type), *expected, "for {return_type:?}");
        }
        // Values of big tuples multiply, up to a limit.
        let big = format!("-> ({})", ["i64"; 12].join(", "));
        let values = replacements(&big);
        assert_eq!(values.len(), MAX_VALUES);
        assert_eq!(values[0], format!("({})", ["0"; 12].join(", ")));
    }

    #[test]
    fn pretty_printing() {
        let pretty_str = |code: &str| pretty_tokens(code.parse().unwrap());
        assert_eq!(
            pretty_str(
                "<impl Iterator for MergeTrees < AE , BE , AIT , BIT > > :: next -> Option < Self :: Item >"
            ),
            "<impl Iterator for MergeTrees<AE, BE, AIT, BIT>>::next -> Option<Self::Item>"
        );
        assert_eq!(pretty_str("Lex < 'buf >::take"), "Lex<'buf>::take");
        assert_eq!(pretty_str("impl Iterator < Item = String >"), "impl Iterator<Item = String>");
        assert_eq!(pretty_str("a => b"), "a => b");
        assert_eq!(pretty_str("Some ( x ) | None"), "Some(x) | None");
        assert_eq!(pretty_str("vec ! [ 1 , 2 ]"), "vec![1, 2]");
        assert_eq!(pretty_str("Foo { a , .. }"), "Foo{a, ..}");
        assert_eq!(squash_lines("squash_lines a b c"), "squash_lines a b c");
        assert_eq!(squash_lines("a\n    b c \n\nd  \n  e"), "a b c d  e");
    }

    #[test]
    fn no_mutant_equal_to_the_body() {
        assert_eq!(
            names("fn always_true() -> bool { true }"),
            ["src/lib.rs:1:28: replace always_true -> bool with false"]
        );
        assert_eq!(names("fn v() -> Vec<u8> { vec![] }").len(), 2);
        assert_eq!(names("fn unit() { () }"), Vec::<String>::new());
    }

    #[test]
    fn skipped_test_code() {
        let skipped = [
            "#[cfg(test)]\nmod tests { fn helper() -> u8 { 1 + 1 } }",
            "#[cfg(all(test, unix))]\nfn helper() -> u8 { 1 + 1 }",
            "#[cfg(any(test, all(test, doc)))]\nfn helper() -> u8 { 1 + 1 }",
            "#[test]\nfn t() { assert_eq!(1 + 1, 2); }",
            "#[tokio::test]\nasync fn t() { let x = 1 + 1; }",
            "#[sqlx::test]\nfn t() { let x = 1 + 1; }",
            "#[cfg(test)]\nimpl S { fn f(&self) -> u8 { 1 + 1 } }",
            "#![cfg(test)]\nfn f() -> u8 { 1 + 1 }",
            "fn f() { #[cfg(test)] let x = 1 + 1; }",
        ];
        for source in skipped {
            let found: Vec<String> =
                names(source).into_iter().filter(|n| !n.contains("replace f with ()")).collect();
            assert_eq!(found, Vec::<String>::new(), "for {source:?}");
        }
        // Code that is also built outside tests is mutated.
        for source in [
            "#[cfg(not(test))]\nfn f() -> u8 { 7 }",
            "#[cfg(any(test, feature = \"x\"))]\nfn f() -> u8 { 7 }",
        ] {
            assert_eq!(names(source).len(), 2, "for {source:?}");
        }
    }

    #[test]
    fn skipped_by_attributes() {
        let skipped = [
            "#[mutants::skip]\nfn f() -> u8 { 1 + 1 }",
            "#[chaos_test::skip]\nfn f() -> u8 { 1 + 1 }",
            "#[chaos_skip]\nfn f() -> u8 { 1 + 1 }",
            "#[cfg_attr(test, mutants::skip)]\nfn f() -> u8 { 1 + 1 }",
            "#[cfg_attr(any(), mutants::skip)]\nfn f() -> u8 { 1 + 1 }",
            "#[cfg_attr(feature = \"x\", chaos_skip)]\nfn f() -> u8 { 1 + 1 }",
            "#[mutants::skip]\nimpl S { fn f(&self) -> u8 { 1 + 1 } }",
            "#[mutants::skip]\ntrait T { fn f(&self) -> u8 { 1 + 1 } }",
            "#[mutants::skip]\nmod m { fn f() -> u8 { 1 + 1 } }",
            "impl S { #[mutants::skip] fn f(&self) -> u8 { 1 + 1 } }",
        ];
        for source in skipped {
            assert_eq!(names(source), Vec::<String>::new(), "for {source:?}");
        }
        // Expressions marked to skip in a function that is mutated.
        let source = "fn f() {\n    #[mutants::skip]\n    let x = 1 + 1;\n    let y = #[mutants::skip] { 2 * 2 };\n    g(3 - 3);\n}";
        assert_eq!(
            names(source),
            [
                "src/lib.rs:2:5: replace f with ()",
                "src/lib.rs:5:9: replace - with + in f",
                "src/lib.rs:5:9: replace - with / in f"
            ]
        );
        // Other attributes don't skip anything.
        assert_eq!(names("#[inline]\n#[cfg_attr(test, derive(Debug))]\nfn f() -> u8 { 7 }").len(), 2);
    }

    #[test]
    fn skipped_unsafe_and_macros() {
        let skipped = [
            "unsafe fn f() -> usize { 2 + 3 }",
            "impl S { unsafe fn f(&self) -> usize { 2 + 3 } }",
            "const unsafe fn f() -> usize { 2 + 3 }",
            "macro_rules! m { () => { 1 + 1 } }",
            "m! { fn f() -> u8 { 1 + 1 } }",
            "const X: u8 = m!(1 + 1);",
            "fn f() {}",
            "const fn f() {}",
        ];
        for source in skipped {
            assert_eq!(names(source), Vec::<String>::new(), "for {source:?}");
        }
        // The body of a const fn holding an unsafe block is replaced, but nothing inside the
        // block is mutated, unlike in cargo-mutants.
        assert_eq!(
            names("const fn f(p: *const u8) -> u8 { unsafe { *p + 1 } }"),
            ["src/lib.rs:1:34: replace f -> u8 with 0", "src/lib.rs:1:34: replace f -> u8 with 1"]
        );
    }

    #[test]
    fn skip_attributes_on_const_items() {
        // cargo-mutants ignores these attributes on items other than functions, impls, traits
        // and modules; we honour them everywhere.
        let skipped = [
            "#[mutants::skip] const X: u8 = 1 + 1;",
            "#[cfg(test)] static X: u8 = 1 + 1;",
            "#[chaos_skip] enum E { A = 1 + 1 }",
            "enum E { #[mutants::skip] A = 1 + 1 }",
            "#[mutants::skip] struct S { a: [u8; 1 + 1] }",
            "struct S { #[mutants::skip] a: [u8; 1 + 1] }",
            "#[mutants::skip] type A = [u8; 1 + 1];",
            "impl S { #[mutants::skip] const X: u8 = 1 + 1; }",
            "trait T { #[cfg(test)] const X: u8 = 1 + 1; }",
            "#[cfg(test)] extern \"C\" { static X: [u8; 1 + 1]; }",
        ];
        for source in skipped {
            assert_eq!(names(source), Vec::<String>::new(), "for {source:?}");
        }
    }

    #[test]
    fn const_contexts_like_cargo_mutants() {
        // The names cargo-mutants 27.1.0 lists for this source, but for the unsafe block on line 2.
        let source = "fn f(p: *const u8) {
    let a = unsafe { *p + 1 };
    let b = [0u8; 2 * 2];
    let c: [u8; 1 + 1] = [1, 2];
    let d = g::<{ 3 + 3 }>();
    let e = const { 4 + 4 };
    const K: u8 = 5 + 5;
    static L: u8 = 6 + 6;
    println!(\"{}\", 7 + 7);
    let v = Vec::with_capacity(8 + 8);
    let w = v.with_capacity(9 + 9);
    let x = [a; N] == [b; N - 1];
}
const fn cf() -> usize { 2 + 3 }
impl S { const fn m() -> usize { -3 } }
const X: usize = 2 + 3;
static Y: usize = 2 + 3;
impl S { const A: usize = 2 + 3; }
trait T { const B: usize = 2 + 3; }
enum E { A = 1 << 2, B = 3 + 1 }
struct St { a: [u8; 2 + 2] }
type Al = [u8; 2 - 1];
fn gen<const N: usize>(a: [u8; N * 2]) -> u8 { a[0] }
";
        let mutants = discover("src/lib.rs", source).unwrap();
        let listed: Vec<(bool, &str)> = mutants.iter().map(|m| (m.const_context, m.name.as_str())).collect();
        assert_eq!(
            listed,
            [
                (false, "src/lib.rs:2:5: replace f with ()"),
                (true, "src/lib.rs:3:21: replace * with + in f"),
                (true, "src/lib.rs:3:21: replace * with / in f"),
                (true, "src/lib.rs:4:19: replace + with * in f"),
                (true, "src/lib.rs:4:19: replace + with - in f"),
                (true, "src/lib.rs:5:21: replace + with * in f"),
                (true, "src/lib.rs:5:21: replace + with - in f"),
                (true, "src/lib.rs:6:23: replace + with * in f"),
                (true, "src/lib.rs:6:23: replace + with - in f"),
                (true, "src/lib.rs:7:21: replace + with * in f"),
                (true, "src/lib.rs:7:21: replace + with - in f"),
                (true, "src/lib.rs:8:22: replace + with * in f"),
                (true, "src/lib.rs:8:22: replace + with - in f"),
                (false, "src/lib.rs:12:20: replace == with != in f"),
                (true, "src/lib.rs:12:29: replace - with + in f"),
                (true, "src/lib.rs:12:29: replace - with / in f"),
                (true, "src/lib.rs:14:26: replace cf -> usize with 0"),
                (true, "src/lib.rs:14:26: replace cf -> usize with 1"),
                (true, "src/lib.rs:14:28: replace + with * in cf"),
                (true, "src/lib.rs:14:28: replace + with - in cf"),
                (true, "src/lib.rs:15:34: delete - in S::m"),
                (true, "src/lib.rs:15:34: replace S::m -> usize with 0"),
                (true, "src/lib.rs:15:34: replace S::m -> usize with 1"),
                (true, "src/lib.rs:16:20: replace + with *"),
                (true, "src/lib.rs:16:20: replace + with -"),
                (true, "src/lib.rs:17:21: replace + with *"),
                (true, "src/lib.rs:17:21: replace + with -"),
                (true, "src/lib.rs:18:29: replace + with *"),
                (true, "src/lib.rs:18:29: replace + with -"),
                (true, "src/lib.rs:19:30: replace + with *"),
                (true, "src/lib.rs:19:30: replace + with -"),
                (true, "src/lib.rs:20:16: replace << with >>"),
                (true, "src/lib.rs:20:28: replace + with *"),
                (true, "src/lib.rs:20:28: replace + with -"),
                (true, "src/lib.rs:21:23: replace + with *"),
                (true, "src/lib.rs:21:23: replace + with -"),
                (true, "src/lib.rs:22:18: replace - with +"),
                (true, "src/lib.rs:22:18: replace - with /"),
                (true, "src/lib.rs:23:34: replace * with + in gen"),
                (true, "src/lib.rs:23:34: replace * with / in gen"),
                (false, "src/lib.rs:23:48: replace gen -> u8 with 0"),
                (false, "src/lib.rs:23:48: replace gen -> u8 with 1"),
            ]
        );
    }

    #[test]
    fn const_context_ends_at_a_nested_function_and_our_genres_apply_inside_it() {
        // A function declared in a static's initialiser runs at run time; a const fn's body
        // gets our own genres too.
        let source = "static F: fn() -> u8 = { fn g() -> u8 { 1 + 1 } g };
const fn h(mut i: u8) -> u8 { while i < 3 { i += 1; if i == 2 { break; } } i }
";
        let mutants = discover("src/lib.rs", source).unwrap();
        let listed: Vec<(bool, &str)> = mutants.iter().map(|m| (m.const_context, m.name.as_str())).collect();
        assert_eq!(
            &listed[..4],
            [
                (false, "src/lib.rs:1:41: replace g -> u8 with 0"),
                (false, "src/lib.rs:1:41: replace g -> u8 with 1"),
                (false, "src/lib.rs:1:43: replace + with * in g"),
                (false, "src/lib.rs:1:43: replace + with - in g"),
            ]
        );
        assert!(listed[4..].iter().all(|(c, _)| *c), "{listed:?}");
        assert!(
            listed.contains(&(true, "src/lib.rs:2:37: replace while condition i < 3 with !(i < 3) in h"))
        );
        assert!(listed.contains(&(true, "src/lib.rs:2:65: replace break with continue in h")));
    }

    #[test]
    fn apply_gives_code_that_parses() {
        let source = sample("larger");
        let mutants = discover("src/lib.rs", &source).unwrap();
        let genres: std::collections::BTreeSet<Genre> = mutants.iter().map(|m| m.genre).collect();
        assert_eq!(genres.len(), 8, "{genres:?}");
        for m in &mutants {
            assert_eq!(&source[m.start..m.end], m.original);
            let mutated = apply(&source, m);
            if let Err(err) = syn::parse_file(&mutated) {
                panic!("{} gives code that doesn't parse: {err}\n{}", m.name, diff(&source, m));
            }
        }
        // Nothing from unsafe blocks, `with_capacity` arguments, `Default` impls or tests.
        for m in &mutants {
            for skipped in ["it_works", "<impl Default"] {
                assert!(!m.name.contains(skipped), "{}", m.name);
            }
            // The body of a function holding an unsafe block is replaced, but nothing inside the block.
            assert!(!m.name.contains("in uses_unsafe"), "{}", m.name);
            let at = source.find("with_capacity(self.tags.len() * 2)").unwrap();
            assert!(!(at..at + 34).contains(&m.start), "{}", m.name);
        }
        // Const items, const fns, array lengths and enum discriminants are mutated, and marked.
        for code in ["4 * 1024", "[&str; 2 + 1]", "1 << 3", "3 * 2]", "a + 1\n}"] {
            let at = source.find(code).unwrap();
            let inside: Vec<&Mutant> =
                mutants.iter().filter(|m| (at..at + code.len()).contains(&m.start)).collect();
            assert!(!inside.is_empty(), "nothing in {code}");
            assert!(inside.iter().all(|m| m.const_context), "{inside:?}");
        }
        assert!(
            mutants.iter().any(|m| m.name.ends_with("replace const_add -> u32 with 0") && m.const_context)
        );
        assert!(
            mutants
                .iter()
                .filter(|m| m.const_context)
                .all(|m| m.genre != Genre::FnValue || m.name.contains("const_add"))
        );
        let all_names: Vec<&str> = mutants.iter().map(|m| m.name.as_str()).collect();
        for expected in [
            "src/lib.rs:29:9: replace Area::is_big -> bool with false",
            "src/lib.rs:29:29: replace || with && in Area::is_big",
            "src/lib.rs:29:46: delete - in Area::is_big",
            "src/lib.rs:33:9: replace Area::describe -> String with \"xyzzy\".into()",
            "src/lib.rs:40:13: delete match arm Shape::Circle(r) in <impl Area for Shape>::area",
            "src/lib.rs:41:37: replace match guard *w > 0.0 && *h > 0.0 with true in <impl Area for Shape>::area",
            "src/lib.rs:42:13: delete match arm Shape::Rect{..} in <impl Area for Shape>::area",
            "src/lib.rs:50:41: delete field retries from struct Config expression in <impl From<&'a str> for Config>::from",
            "src/lib.rs:56:18: delete field retries from struct Config expression in Config::with_retries",
            "src/lib.rs:60:9: replace Config::tags -> impl Iterator<Item =&String>+'_ with ::std::iter::empty()",
            "src/lib.rs:88:9: replace Config::pair -> (bool, Option<u8>) with (false, Some(1))",
            "src/lib.rs:92:9: replace Config::bytes -> [u8; 4] with [1; 4]",
            "src/lib.rs:208:9: delete ! in nested::deep",
        ] {
            assert!(all_names.contains(&expected), "missing {expected}");
        }
        for expected_part in [
            "replace totals -> Vec<i64> with vec![-1]",
            "replace continue with break in totals",
            "replace if condition v < 0 with !(v < 0) in totals",
            "replace while condition lo < hi with !(lo < hi) in search",
            "replace search -> Option<usize> with Some(0)",
            "replace fetch -> u64 with 1",
            "replace closures -> i32 with -1",
            "replace * with / in closures",
            "replace outer::inner -> u32 with 0",
            "replace nested::deep -> bool with true",
            "delete ! in nested::deep",
            "replace Config::ratio -> Result<f64, String> with Ok(-1.0)",
            "replace Config::first -> &[String] with Vec::leak(vec![\"xyzzy\".into()])",
            "replace Config::name_mut -> &mut String with Box::leak(Box::new(String::new()))",
            "replace Config::label -> Cow<'static, str> with Cow::Owned(\"xyzzy\".to_owned())",
            "replace Config::sorted -> BTreeMap<&str, bool> with BTreeMap::from_iter([(\"\", true)])",
            "replace Config::shared -> Arc<String> with Arc::new(String::new())",
            "replace Config::unique -> HashSet<String> with HashSet::new()",
            "replace Config::index -> HashMap<String, usize> with HashMap::from_iter([(String::new(), 1)])",
        ] {
            assert!(all_names.iter().any(|n| n.ends_with(expected_part)), "missing {expected_part}");
        }
        // `break sum` and `break 0` carry values, and `continue 'rows` is labelled.
        assert_eq!(mutants.iter().filter(|m| m.genre == Genre::LoopControl).count(), 1);
    }

    #[test]
    fn diff_format() {
        let source = "fn a() {}\n\nfn add(a: i32, b: i32) -> i32 {\n    let c = a;\n    c + b\n}\n\nfn z() {}\nfn y() {}\n";
        let mutants = discover("src/lib.rs", source).unwrap();
        let plus = mutants.iter().find(|m| m.replacement == "-").unwrap();
        assert_eq!(
            diff(source, plus),
            "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -2,7 +2,7 @@\n \n fn add(a: i32, b: i32) -> i32 {\n     let c = a;\n-    c + b\n+    c - b\n }\n \n fn z() {}\n"
        );
        let zero = mutants.iter().find(|m| m.replacement == "0").unwrap();
        assert_eq!(
            diff(source, zero),
            "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,8 +1,7 @@\n fn a() {}\n \n fn add(a: i32, b: i32) -> i32 {\n-    let c = a;\n-    c + b\n+    0\n }\n \n fn z() {}\n"
        );
    }

    #[test]
    fn diff_without_final_newline_and_one_line_files() {
        let source = "fn f() -> bool { !g() }";
        let mutants = discover("x.rs", source).unwrap();
        let not = mutants.iter().find(|m| m.genre == Genre::UnaryOperator).unwrap();
        assert_eq!(
            diff(source, not),
            "--- a/x.rs\n+++ b/x.rs\n@@ -1 +1 @@\n-fn f() -> bool { !g() }\n\\ No newline at end of file\n+fn f() -> bool { g() }\n\\ No newline at end of file\n"
        );
        assert_eq!(unified_diff("x", "a\nb\n", "a\nb\n", 3), "");
        assert_eq!(unified_diff("x", "a\n", "a\nb\n", 3), "--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n a\n+b\n");
        assert_eq!(unified_diff("x", "a\n", "a\nb\n", 0), "--- a/x\n+++ b/x\n@@ -1,0 +2 @@\n+b\n");
        // Distant changes make separate hunks.
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old.replace("line 2\n", "two\n").replace("line 19\n", "nineteen\n");
        assert_eq!(
            unified_diff("x", &old, &new, 3),
            "--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n line 1\n-line 2\n+two\n line 3\n line 4\n line 5\n\
             @@ -16,5 +16,5 @@\n line 16\n line 17\n line 18\n-line 19\n+nineteen\n line 20\n"
        );
    }

    #[test]
    fn offsets_after_non_ascii_text() {
        let source = "// café, naïve: é\nfn f(a: u8) -> u8 {\n    let s = \"é\"; a + 1\n}\n";
        let mutants = discover("src/lib.rs", source).unwrap();
        let plus = mutants.iter().find(|m| m.replacement == "-").unwrap();
        assert_eq!(&source[plus.start..plus.end], "+");
        assert_eq!((plus.line, plus.column, plus.end_column), (3, 20, 21));
        assert_eq!(plus.name, "src/lib.rs:3:20: replace + with - in f");
        assert_eq!(apply(source, plus), source.replace("a + 1", "a - 1"));
        let body = mutants.iter().find(|m| m.replacement == "0").unwrap();
        assert_eq!(body.original, "let s = \"é\"; a + 1");
        assert_eq!(body.start, source.find("let").unwrap());
        assert_eq!(body.end, source.find("1\n}").unwrap() + 1);
    }

    #[test]
    fn byte_order_mark_shebang_and_crlf() {
        let source = "\u{feff}#!/usr/bin/env run-cargo-script\r\nfn f(a: u8) -> u8 {\r\n    a * 2\r\n}\r\n";
        let mutants = discover("src/main.rs", source).unwrap();
        let times = mutants.iter().find(|m| m.replacement == "+").unwrap();
        assert_eq!(&source[times.start..times.end], "*");
        assert_eq!(times.name, "src/main.rs:3:7: replace * with + in f");
        let body = mutants.iter().find(|m| m.replacement == "1").unwrap();
        assert_eq!(body.original, "a * 2");
        // An inner attribute is not a shebang.
        assert_eq!(names("#![allow(unused)]\nfn f() -> u8 { 2 }").len(), 2);
    }

    #[test]
    fn errors_for_invalid_source() {
        assert!(discover("a.rs", "fn f( {").is_err());
        assert!(discover("a.rs", "#!/bin/sh\nexit 1\n").is_err());
        assert_eq!(discover("a.rs", "").unwrap(), []);
        assert_eq!(discover("a.rs", "#!/bin/sh\n").unwrap(), []);
    }
}
