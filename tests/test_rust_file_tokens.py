"""The whole-file reader reuses the file's tokens for each item it parses (moved, with the
``extern "C" { ... }`` wrapper lexed) and skips blanking where the tokens hold nothing that
is ever blanked: on every item, the tokens are the ones lexing the item's text gives, and an
item said to need no blanking is unchanged by blanking."""

from __future__ import annotations

from typing import Any

import pytest

from cfi_typeid.errors import ParseError
from cfi_typeid.rust import file as rust_file
from cfi_typeid.rust import frontend, syntax
from cfi_typeid.rust.lexer import tokenize

from test_bindings import BINDINGS

TRICKY = r'''
#![allow(dead_code)]
/* a /* nested */ comment */ pub const A: u32 = 1; // trailing
pub const S: &[u8; 3usize] = b"a\"\0";
extern "C" /* between */ {
    #[link_name = "\u{1}_real"]
    pub fn with_attr(x: i32) -> i32;
    pub fn plain(x: *mut Foo, f: ::std::option::Option<unsafe extern "C" fn(arg1: i32)>);
    // a comment between
    pub fn after_comment(x: i32);
    pub static mut G: i32;
    m!(x);
    pub fn r#type(r#in: u8);
}
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct Foo { pub a: u8, pub cb: Option<unsafe extern "C" fn(x: *mut Foo)> }
impl Foo { pub fn new() -> Self { Foo { a: 0, cb: None } } }
unsafe impl Send for Foo {}
pub fn body(x: u8) -> u8 { let s = "}"; let c = '{'; x }
pub type Cb = unsafe extern "C" fn(x: u8) -> u8;
macro_rules! m { ($x:ident) => { fn $x() {} }; }
mod inner { extern "C" { pub fn nested(x: u8); } pub struct B { pub f: Option<fn()> } }
pub fn unbalanced( {
'''


def _blank(text: str, **kw: Any) -> Any:
    try:
        return syntax.blank_noise(text, **kw)
    except ParseError as e:
        return ("error", e.message, e.offset)


@pytest.mark.skipif(str(rust_file.__file__).endswith(".so"),
                    reason="compiled (mypyc), rust/file calls read_source directly: the "
                    "module's name cannot be replaced to watch the calls")
@pytest.mark.parametrize("text", [TRICKY, BINDINGS], ids=["tricky", "bindgen"])
def test_reused_tokens_are_the_items_own(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {"items": 0, "unblanked": 0}

    def checked(snippet: str, rule: str, what: str, lexed: Any = None) -> Any:
        if lexed is not None:
            seen["items"] += 1
            given = lexed()
            if given is None:
                seen["unblanked"] += 1
                assert _blank(snippet, what=what) == snippet
            else:
                spans: list[tuple[int, int]] = []
                assert given[0] == tokenize(snippet, what, spans)
                assert sorted(given[1]) == sorted(spans)
        return frontend.read_source(snippet, rule, what, lexed)
    monkeypatch.setattr(rust_file, "read_source", checked)
    rust_file.FileReader(text, "t.rs", "probe").read()
    assert seen["items"] > seen["unblanked"] > 0
