"""The command line (``flask …`` commands and ``python -m`` tools): beside the blueprints at
the top of the layers (docs/architecture.md, Layers)."""
