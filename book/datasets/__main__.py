"""``python -m book.datasets DIRECTORY``: write the canonical study (``make data``)."""

from book.datasets.canonical import main

main()
