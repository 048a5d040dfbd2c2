"""Pausing Python's cyclic garbage collector around bulk work.

A draw ranks a million tuples, an import files 100,000 records: none of their objects is part
of a reference cycle, yet every full collection the allocations trigger walks all of them again
(a quarter of an ingest's CPU time, bench/collection.py).  Reference counting frees memory as
usual while the collector is paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (left paused if it was already)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
