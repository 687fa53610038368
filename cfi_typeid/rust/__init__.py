"""The Rust front end (Rust text to the shared model, as rustc lowers it), the ``rust-crates``
reader of crate disambiguators, and the rendering of a model as Rust.  Imports only the shared
model and tables and ``parsing/``; never ``c/``."""
