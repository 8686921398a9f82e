"""One way to keep Python's cyclic garbage collector out of a bulk job.

Streaming a table or writing a million triples makes many small objects and no reference
cycles, yet each allocation burst starts collections that scan the whole heap (the
ontology, the matcher's index) again and again: a third of an export's time otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collection() -> Iterator[None]:
    """No cyclic garbage collection inside the block, and the objects that exist before it
    frozen out of later collections until it ends (nesting is safe).

    >>> import gc
    >>> with paused_collection():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    import gc

    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()
