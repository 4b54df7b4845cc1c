"""Tools for maintainers and instructors; readers never import them.

- :mod:`tools.editions` -- the student edition: the book without solutions
- :mod:`tools.answers` -- the reference answer of every self-check, from a study
- :mod:`tools.classroom` -- a dataset and an answer key per student, from a roster
- :mod:`tools.assignments` -- autograded assignments per week (otter-grader), and
  their grading (``make assignments``, ``make grade``)
- :mod:`tools.real_data` -- extract the real data sets into ``data/real/`` from
  Debian's R packages (``make real-data``)
- :mod:`tools.vendor` -- the book's JavaScript from pinned npm packages, with their
  licences and hashes (``make vendor``)
- :mod:`tools.pdf` -- the PDF edition's configuration (``make pdf``)
"""
