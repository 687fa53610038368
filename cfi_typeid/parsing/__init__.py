"""The LALR runtime: Lark builds the tables from ``grammar/*.lark``; this stage stores them and
runs them with its own lexer and loop.  Both front ends (``c/``, ``rust/``) parse through it."""
