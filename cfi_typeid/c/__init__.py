"""The C front end (C text to the shared model, as clang reads it) and the rendering of a model
as C.  Imports only the shared model and tables and ``parsing/``; never ``rust/``."""
