"""Lark grammars of cfi_typeid, installed as the package data of cfi_typeid.grammar."""
