"""The page's code runs when a student copies it: no visible cell needs a removed one.

A chapter's code cell is *removed* from the HTML page when tagged ``remove-cell``
or ``remove-input``; every other code cell is on the page (``hide-input`` collapses
its code behind a "Show code cell source" toggle, but it is there to open and
copy). A student who copies the page's code in order must be able to run it, so
a name that a visible cell uses must be defined by an earlier visible cell, not
only by a removed one (the standard library's builtins and IPython's aside).

This module finds those names by reading the code (no kernel), and, as a script,
retags the chapters so that none is left:

    python scripts/chapter_tags.py            # retag chapters/*.ipynb (make chapter-tags)
    python scripts/chapter_tags.py --check    # list what it would change; exit 1 if anything

A removed cell that defines a name a visible cell needs is retagged ``hide-input``
(its code collapsed, no longer removed), and so on until nothing visible needs a
removed cell. Removed cells that only feed the prose (``glue``) or check a claim
(``assert``) define nothing the page uses, so they stay removed. Only the cells'
``metadata.tags`` change: sources and outputs are untouched, and a notebook
without a change is not rewritten. Run it again after editing a chapter's code;
``tests/test_chapter_code.py`` fails until then.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REMOVED = ("remove-cell", "remove-input")
COLLAPSED = "hide-input"

#: Names a notebook kernel provides without a definition in any cell.
PROVIDED = set(dir(builtins)) | {"display", "get_ipython", "In", "Out", "_", "__", "___"}

_MAGIC_OR_SHELL = re.compile(r"^\s*[%!]")


# -- which names a cell needs and defines ------------------------------------------------


class _Flow(ast.NodeVisitor):
    """Walk a cell in execution order: the names it reads before it binds them.

    Function and class bodies run later, when called: the global names they read
    count as needed by the cell unless the cell binds them by its end.
    """

    def __init__(self, known: set[str]):
        self.bound = set(known)
        self.needed: list[str] = []
        self.deferred: list[str] = []
        self.scopes: list[set[str]] = []

    def _need(self, name: str, deferred: bool = False) -> None:
        if any(name in scope for scope in self.scopes):
            return
        if name in self.bound or name in PROVIDED:
            return
        (self.deferred if deferred or self.scopes else self.needed).append(name)

    def _bind(self, name: str) -> None:
        (self.scopes[-1] if self.scopes else self.bound).add(name)

    # names
    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self._need(node.id)
        else:
            self._bind(node.id)

    # statements, in the order Python evaluates them
    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name):
            self._need(node.target.id)
        self.visit(node.value)
        self.visit(node.target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node):
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self.visit(item.optional_vars)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node):
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def visit_Import(self, node):
        for alias in node.names:
            self._bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node):
        for alias in node.names:
            if alias.name != "*":
                self._bind(alias.asname or alias.name)

    def visit_Global(self, node):
        pass

    visit_Nonlocal = visit_Global

    # scopes that run later, or apart
    def _function(self, node, args: ast.arguments, body):
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.visit(default)
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        self.scopes.append(params)
        for stmt in body if isinstance(body, list) else [body]:
            self.visit(stmt)
        self.scopes.pop()

    def visit_FunctionDef(self, node):
        self._bind(node.name)
        self._function(node, node.args, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._function(node, node.args, node.body)

    def visit_ClassDef(self, node):
        for expr in [*node.bases, *(k.value for k in node.keywords), *node.decorator_list]:
            self.visit(expr)
        self._bind(node.name)
        self.scopes.append(set())
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def _comprehension(self, node, results):
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated in the enclosing scope
        self.scopes.append(set())
        self.visit(first.target)
        for cond in first.ifs:
            self.visit(cond)
        for gen in rest:
            self.visit(gen.iter)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for result in results:
            self.visit(result)
        self.scopes.pop()

    def visit_ListComp(self, node):
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, [node.key, node.value])


def python_source(cell: str) -> str:
    """A code cell without IPython magics and shell escapes (so ``ast`` can parse it)."""
    return "\n".join("" if _MAGIC_OR_SHELL.match(line) else line for line in cell.splitlines())


def cell_flow(source: str, known: set[str]) -> tuple[list[str], set[str]]:
    """The names a cell needs that ``known`` does not hold (in order, each once),
    and every name it defines at the top level."""
    flow = _Flow(set())
    flow.visit(ast.parse(python_source(source)))
    needed = flow.needed + [n for n in flow.deferred if n not in flow.bound]
    unique = list(dict.fromkeys(n for n in needed if n not in known))
    return unique, flow.bound


# -- the chapters ----------------------------------------------------------------------------


@dataclass
class Need:
    """A visible cell that uses a name only a removed cell defines."""

    cell: int  #: index of the visible cell among the notebook's cells
    name: str
    defined_in: int  #: index of the latest removed cell before it that defines the name


def is_removed(cell: dict) -> bool:
    return any(tag in cell.get("metadata", {}).get("tags", []) for tag in REMOVED)


def missing_definitions(cells: list[dict]) -> list[Need]:
    """Every use by a visible code cell of a name that only removed cells define before it."""
    visible_defs: set[str] = set()
    removed_defs: dict[str, int] = {}
    found = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        needed, defined = cell_flow(source, set())
        if is_removed(cell):
            removed_defs.update(dict.fromkeys(defined, index))
            continue
        for name in needed:
            if name not in visible_defs and name in removed_defs:
                found.append(Need(index, name, removed_defs[name]))
        visible_defs |= defined
    return found


def retag(cells: list[dict]) -> list[int]:
    """Collapse (``hide-input``) instead of removing every removed cell a visible cell
    needs, until none is needed. Changes ``cells`` in place; returns the cells changed."""
    changed = []
    while needs := missing_definitions(cells):
        for index in sorted({need.defined_in for need in needs}):
            meta = cells[index].setdefault("metadata", {})
            tags = [t for t in meta.get("tags", []) if t not in REMOVED]
            meta["tags"] = [*tags, COLLAPSED] if COLLAPSED not in tags else tags
            changed.append(index)
    return changed


def chapters() -> list[Path]:
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def _dump(notebook: dict) -> str:
    # the layout nbformat writes: one-space indent, key order kept, non-ASCII as is
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: chapters/*.ipynb")
    args = parser.parse_args(argv)
    pending = False
    for path in args.notebooks or chapters():
        text = path.read_text(encoding="utf-8")
        notebook = json.loads(text)
        cells = notebook["cells"]
        before = [list(c.get("metadata", {}).get("tags", [])) for c in cells]
        for need in missing_definitions(cells):
            print(
                f"{path.name}: cell {need.cell} uses {need.name!r}, "
                f"defined in removed cell {need.defined_in}"
            )
        changed = retag(cells)
        if not changed:
            continue
        pending = True
        for index in sorted(set(changed)):
            after = cells[index]["metadata"]["tags"]
            print(f"{path.name}: cell {index} tags {before[index]} -> {after}")
        if not args.check:
            path.write_text(_dump(notebook), encoding="utf-8")
    return 1 if (pending and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
