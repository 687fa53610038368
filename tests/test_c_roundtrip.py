"""Round-trip laws of the C front end and :mod:`cfi_typeid.c.render`, pycparser style: render a
model to C, parse it back, get the same model.  Also: whatever the text, the parser answers with
a model or a :class:`CfiTypeidError`, never another exception.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfi_typeid import typeid
from cfi_typeid.c.frontend import parse_c_function
from cfi_typeid.errors import CfiTypeidError, NotExpressibleError
from cfi_typeid.model import (
    VOID, Array, CInt, CInteger, Encoded, FixedInt, FixedInteger, FunctionType, Named, Pointer,
    Primitive, Qualified, Reference, Scalar, Slice, Tuple, Type,
)
from cfi_typeid.c.render import render_c_declaration, render_c_type
from cfi_typeid.targets import TARGETS

from strategies import SHARED_PRELUDE, TRIPLES, function_types, spelled, targets_and_functions

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(targets_and_functions())
def test_parse_of_render_is_identity(case: tuple[str, FunctionType]) -> None:
    triple, fn = case
    prelude, decl = render_c_declaration(fn, "g")
    assert parse_c_function(decl, prelude, TARGETS[triple]) == fn


@SETTINGS
@given(targets_and_functions())
def test_render_is_a_fixed_point(case: tuple[str, FunctionType]) -> None:
    triple, fn = case
    prelude, decl = render_c_declaration(fn)
    again = parse_c_function(decl, prelude, TARGETS[triple])
    assert render_c_declaration(again) == (prelude, decl)


@SETTINGS
@given(st.data())
def test_every_spelling_parses_to_the_model(data: st.DataObject) -> None:
    """Specifier order, qualifier placement, array and function parameters, typedef names,
    top-level qualifiers, GNU noise: none of it changes the model."""
    triple = data.draw(st.sampled_from(TRIPLES))
    fn = data.draw(function_types(triple))
    text = data.draw(spelled(triple, fn))
    assert parse_c_function(text, SHARED_PRELUDE, TARGETS[triple]) == fn, text


@SETTINGS
@given(targets_and_functions(), st.data())
def test_damaged_text_is_an_error_not_a_crash(case: tuple[str, FunctionType],
                                              data: st.DataObject) -> None:
    """Delete, duplicate or insert characters in a valid prototype: the parser must answer
    with a model or a CfiTypeidError."""
    triple, fn = case
    prelude, decl = render_c_declaration(fn)
    at = data.draw(st.integers(0, len(decl)))
    junk = data.draw(st.sampled_from(["", "(", ")", "[", "]", "*", ",", "...", "int", ";",
                                      "{", "}", "'", "/*", "0x", "-1", "__attribute__((",
                                      "\x00", "é", "typedef", "struct", "_BitInt(", "[[",
                                      "#"]))
    cut = data.draw(st.integers(0, 3))
    text = decl[:at] + junk + decl[at + cut:]
    try:
        parse_c_function(text, prelude, TARGETS[triple])
    except CfiTypeidError:
        pass


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.sampled_from(list("intcharvod()[]*,;.{}'0123456789 _=+-<>?:"
                                             "structenumuniontypedefconst\n#/\\")),
               max_size=60))
def test_arbitrary_text_is_an_error_not_a_crash(text: str) -> None:
    try:
        parse_c_function(text, "", TARGETS["x86_64-unknown-linux-gnu"])
    except CfiTypeidError:
        pass


@pytest.mark.parametrize("t, c", [
    (Pointer(FunctionType(Primitive(Scalar.VOID), (CInteger(CInt.INT),))), "void (*)(int)"),
    (Pointer(Array(CInteger(CInt.INT), 4)), "int (*)[4]"),
    (Qualified(Pointer(Qualified(CInteger(CInt.CHAR), const=True)), const=True),
     "const char *const"),
    (Pointer(Pointer(FunctionType(Pointer(Array(CInteger(CInt.INT), 3)), (), prototyped=False))),
     "int (*(**)())[3]"),
    (Encoded("St9__va_list"), "__builtin_va_list"),
    (Named("E", "enum"), "enum E"),
])
def test_render_c_type(t: Type, c: str) -> None:
    assert render_c_type(t) == c


def test_signal_and_prelude() -> None:
    handler = Pointer(FunctionType(VOID, (CInteger(CInt.INT),)))
    fn = FunctionType(handler, (CInteger(CInt.INT), handler))
    assert render_c_declaration(fn, "signal") == (
        "", "void (*signal(int, void (*)(int)))(int)")
    prelude, decl = render_c_declaration(
        FunctionType(Named("S"), (Pointer(Named("U", "union")), Named("E", "enum"),
                                  Named("S"))))
    assert prelude == "struct S;\nunion U;\nenum E { E__0 };"
    assert decl == "struct S f(union U *, enum E, struct S)"


@pytest.mark.parametrize("t", [
    Reference(VOID), Slice(CInteger(CInt.INT)), Tuple((VOID, VOID)),
    FixedInteger(FixedInt.I64), Primitive(Scalar.RUST_CHAR), Primitive(Scalar.NEVER),
    Primitive(Scalar.STR), Encoded("u3foo"), Named(""), Named("int"),
    Pointer(Qualified(VOID, restrict=True)), Qualified(FunctionType(VOID)),
    Array(FunctionType(VOID), 2), FunctionType(Array(CInteger(CInt.INT), 2)),
    FunctionType(VOID, (VOID,)), FunctionType(VOID, (CInteger(CInt.INT),), prototyped=False),
])
def test_what_c_cannot_say_is_a_typed_error(t: Type) -> None:
    with pytest.raises(NotExpressibleError):
        render_c_declaration(t if isinstance(t, FunctionType) else FunctionType(VOID, (t,)))


@pytest.mark.parametrize("decl, prelude", [
    ("int " + "(" * 3000 + "p" + ")" * 3000, ""),
    ("void f(int p" + "[1]" * 3000 + ")", ""),
    ("void f(" + "void (*)(" * 600 + "int" + ")" * 600 + ")", ""),
    ("void f(int " + "*" * 20000 + ")", ""),
    ("void f(int (*)[1 << 100000000])", ""),
    ("void f(int (*)[" + "9" * 5000 + "])", ""),
    ("void f(int (*)[" + "-" * 3000 + "1])", ""),
    ("void f(t1999)", "typedef int *t0; " + " ".join(f"typedef t{i} *t{i + 1};"
                                                     for i in range(1999))),
    ("void f(int (*)[0x])", ""), ("void f(int (*)[08])", ""), ("void f(int (*)[1/0])", ""),
    ("void f(int (*)['\\x'])", ""), ("void f(int (*)[''])", ""),
    ("void f(int) __attribute__((", ""), ("void f(int /* open", ""),
])
def test_hostile_input_is_an_error_not_a_crash(decl: str, prelude: str) -> None:
    with pytest.raises(CfiTypeidError):
        parse_c_function(decl, prelude, TARGETS["x86_64-unknown-linux-gnu"])


@pytest.mark.parametrize("decl, expected", [
    ("void f(int (*)[" + "1+" * 5000 + "1])", "_ZTSFvPA5001_iE"),
    ("enum E {" + ",".join(f"E{i}" for i in range(10000)) + "}; void f(int (*)[E9999])",
     "_ZTSFvPA9999_iE"),
    ("void f(" + ", ".join(["int"] * 1000) + ")", "_ZTSFv" + "i" * 1000 + "E"),
    ("struct S {" + "".join(f"int a{i};" for i in range(2000)) + "}; void f(struct S)",
     "_ZTSFv1SE"),
    ("int " + ",".join(f"a{i}" for i in range(2000)) + "; void f(void)", "_ZTSFvvE"),
])
def test_long_lists_are_read(decl: str, expected: str) -> None:
    """Issue 17: lists of any length (parameters, enumerators, declarators, members,
    ``1+1+...``) are flat, not nested: real headers have enums of thousands of items."""
    assert typeid(decl) == expected
