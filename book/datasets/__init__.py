"""Datasets: the data the book ships, each loaded through a validated reader.

- :mod:`book.datasets.canonical` -- the committed canonical study in ``data/``:
  :func:`load_study` (checks hashes and every value), :func:`write_study`
- :mod:`book.datasets.codebook` -- every column of every table: type, unit, range, meaning
- :mod:`book.datasets.literature` -- published effect sizes, each with its source
- :mod:`book.datasets.tables` -- what every shipped table shares: writing, sha256,
  reading back through the codebook's validated reader
- :mod:`book.datasets.real` -- the real data sets in ``data/real/`` (``load_real``):
  Beat the Blues, sleepstudy, state and trait anxiety; source, licence, citation
- :mod:`book.datasets.replications` -- published model output the book reproduces,
  each number as printed, with its source
"""

from book.datasets.canonical import DATA_DIR, DataValidationError, load_study, write_study
from book.datasets.codebook import GROUND_TRUTH, OBSERVED, TABLE_FILES, TABLES, Field
from book.datasets.literature import published_effects

__all__ = [
    "DATA_DIR",
    "DataValidationError",
    "Field",
    "GROUND_TRUTH",
    "OBSERVED",
    "TABLES",
    "TABLE_FILES",
    "load_study",
    "published_effects",
    "write_study",
]
