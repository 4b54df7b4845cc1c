"""Tools for maintainers and instructors; readers never import them.

- :mod:`tools.editions` -- the student edition: the book without solutions
- :mod:`tools.classroom` -- a dataset and an answer key per student, from a roster
"""
