"""KCFI questions over declaration records and object code: which prototype has this hash
(look-up, and the SQLite index for large corpora), which tag sits in this object and does it
match, and do the CFI flags of a C and a Rust build agree."""
