"""The standard's processes, one module per chapter of DB5101."""
