"""Teaching: self-checks of the book's exercises.

- :mod:`book.teaching.exercises` -- :func:`check`: right within a tolerance, or a hint
"""

from book.teaching.exercises import check

__all__ = ["check"]
