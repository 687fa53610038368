"""The Itanium back end: the encoder of type ids, the decoder that mirrors it, and what a
decoded id renders to in C and Rust."""
