"""Garbage-collector pacing for long-running service processes.

CPython's cyclic collector runs a young-generation pass every 700 allocations and, every hundred or so
of those, walks older generations: in a service that parses thousands of events a second that is a
tenth or more of its CPU (measured in the backbone benchmark), although event batches make no
reference cycles. After start-up the imported modules' objects are frozen out of the collector's sight
and the young generation is allowed to grow larger before a pass; cycles are still collected.
"""

from __future__ import annotations

import gc

# Older generations are walked after this many younger passes (Python's default is 10 and 10).
_OLDER_PASSES = (20, 50)


def tune_gc(gen0_threshold: int) -> None:
    """Freeze what start-up allocated and collect the young generation every `gen0_threshold` objects.

    0 leaves Python's defaults in place.
    """
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(gen0_threshold, *_OLDER_PASSES)
