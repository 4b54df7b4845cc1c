"""Teaching: self-checks of the book's exercises.

- :mod:`book.teaching.exercises` -- :func:`check`: right or a hint, the answers hashed
  in the data package, never computed by the package
"""

from book.teaching.exercises import check

__all__ = ["check"]
