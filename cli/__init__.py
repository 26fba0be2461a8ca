"""The `assay` command: argument parsing and printing only, over the library."""
