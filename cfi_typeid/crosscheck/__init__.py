"""The cross-language check: does a Rust declaration get the ids of a C prototype, and if not,
which component differs, why, and what fixes it."""
