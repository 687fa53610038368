"""Readers of whole files as people have them: C headers (``c_header``), Rust files
(``rust_file``) and, for KCFI, ELF objects (``elf``).  Each turns a file into
:class:`~cfi_typeid.sources.records.Declaration` records and diagnostics; one bad declaration
costs a diagnostic, never the file.  Above ``api`` (they encode what they read), below
``crosscheck``, ``kcfi`` and ``cli``."""
