"""One BLAS thread for the optimisers, so their results do not depend on the machine's load.

A multithreaded BLAS may sum in a different order with another number of
threads, which moves an optimum by a few units in the last digits. At a
numerical boundary (a variance at zero, a correlation at one) that is enough
to change a printed number. The model fits here are small enough that one
thread costs nothing, so every optimiser in the package runs inside
:func:`single_thread`.
"""

from __future__ import annotations

import functools

from threadpoolctl import ThreadpoolController

__all__ = ["single_thread"]


@functools.cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_thread():
    """A context manager limiting BLAS and OpenMP to one thread.

    >>> import numpy as np
    >>> with single_thread():
    ...     float(np.ones(3) @ np.ones(3))
    3.0
    """
    return _controller().limit(limits=1)
