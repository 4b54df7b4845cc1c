"""The reader's path on Binder, tested here: JupyterLab from the book's environment
on a loopback port, a notebook opened and run up to its explorer, a slider moved,
the output changed.

An explorer is described by an `ExplorerCase`: which notebook, which cell holds the
explorer, how to find its control, and what must change when the control moves.
Cases come from two places (see `explorer_cases`):

- every code cell tagged `explorer` in a notebook listed in `_toc.yml` (found
  automatically: a chapter author tags the cell, and the test runs it), with the
  settings of a case in `EXTRA_CASES` for the same cell if there is one;
- `FIXTURE`, a small notebook beside this file with an IntSlider that drives a
  printed value and a matplotlib figure. It checks the harness and the widget
  machinery (ipywidgets + jupyterlab_widgets) independently of any chapter.

Only the cells up to and including the explorer run (Run > Run All Above Selected
Cell, then the explorer's own cell): what the explorer needs comes before it, and
the Monte Carlo studies later in a chapter would only add minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from booksite import ROOT, toc_notebooks

HERE = Path(__file__).parent


@dataclass(frozen=True)
class ExplorerCase:
    """One explorer to drive in JupyterLab.

    notebook : path relative to the repository root
    cell : index of the explorer's code cell among all the notebook's cells
    control : CSS selector of the slider inside that cell's output (by default any
        ipywidgets 8 slider); its handle is focused and moved with the keyboard
    presses : how many times ArrowRight is pressed on the handle (ArrowLeft if the
        slider is already at its maximum)
    must_change : "text" (the printed output, or the text of the explorer's HTML status
        line), "image" (the figure), "any" (either) or "text+image" (both)
    """

    notebook: str
    cell: int
    control: str = ".widget-slider"
    presses: int = 3
    must_change: str = "any"

    @property
    def slug(self) -> str:
        return self.notebook.removesuffix(".ipynb").replace("/", "--")


FIXTURE_NOTEBOOK = HERE / "fixture_explorer.ipynb"
EXPLORER_TAG = "explorer"


def tagged_cells(notebook: Path, tag: str = EXPLORER_TAG) -> list[int]:
    cells = json.loads(notebook.read_text())["cells"]
    return [i for i, c in enumerate(cells) if tag in c.get("metadata", {}).get("tags", [])]


def _stricter(notebook: str) -> ExplorerCase:
    """The book's explorers (book.widgets) print their numbers in an HTML status line
    beside the figure: moving the first slider must change both."""
    cell = tagged_cells(ROOT / notebook)[0]
    return ExplorerCase(notebook, cell, must_change="text+image")


#: Explorers that the `explorer` tag and the defaults do not describe: another
#: control, or a stricter check. A case for a tagged cell replaces its default case;
#: another cell is added. For example
#: ExplorerCase("chapters/moderation.ipynb", cell=12, control=".widget-slider >> nth=1")
EXTRA_CASES: list[ExplorerCase] = [
    _stricter(f"chapters/{name}.ipynb") for name in ("simulated_study", "study_design")
] + [
    # the session monitor (book.widgets.session_monitor) is not built on the Explorer base
    # class; its first slider is the rule's threshold (z of the reliable drop), and moving
    # it must change both the figure (threshold line, title) and the status line, which
    # prints the rule's setting and its alerts
    _stricter("chapters/ruptures.ipynb"),
]


def explorer_cases() -> list[ExplorerCase]:
    """The fixture's explorer (printed value and figure must both change), then every
    cell tagged `explorer` in the book's notebooks (one of the two must change, unless
    a case in `EXTRA_CASES` for the same cell says otherwise)."""
    fixture = FIXTURE_NOTEBOOK.relative_to(ROOT).as_posix()
    cases = [ExplorerCase(fixture, tagged_cells(FIXTURE_NOTEBOOK)[0], must_change="text+image")]
    extra = {(c.notebook, c.cell): c for c in EXTRA_CASES}
    for notebook in toc_notebooks():
        for cell in tagged_cells(notebook):
            key = (notebook.relative_to(ROOT).as_posix(), cell)
            cases.append(extra.pop(key, ExplorerCase(*key)))
    return cases + list(extra.values())


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the JupyterLab server ---------------------------------------------------------------

# User settings for this JupyterLab only (JUPYTERLAB_SETTINGS_DIR): never write the
# notebook back to disk, render every cell (no windowing), no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """JupyterLab from this environment, on 127.0.0.1, with a token set by the test,
    no browser of its own, and settings and runtime files in a temporary folder."""

    def __init__(self, root: Path = ROOT, timeout: float = 60):
        self.token = secrets.token_hex(16)
        self.home = Path(tempfile.mkdtemp(prefix="jupyterlab-"))
        for name, settings in LAB_SETTINGS.items():
            path = self.home / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        port = _free_port()
        env = {
            **os.environ,
            # the kernel must be this environment's Python, as on Binder
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(self.home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
        }
        self.log = (self.home / "server.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--ServerApp.open_browser=False",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",  # never asks PyPI for extensions
                # Binder runs as a user; CI and this machine run as root
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],  # fmt: skip
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{port}/"
        self._wait_until_ready(timeout)

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{self.server_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}api/status?token={self.token}", timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"JupyterLab did not answer in {timeout:.0f} s:\n{self.server_log()}")

    def server_log(self) -> str:
        self.log.flush()
        return (self.home / "server.log").read_text()[-4000:]

    def notebook_url(self, notebook: str) -> str:
        return f"{self.url}lab/tree/{notebook}?token={self.token}&reset"

    def stop(self) -> None:
        """Stop the server this object started (its own process group, by id)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


# -- driving a notebook in the browser -------------------------------------------------------


def open_and_run_through(
    page, lab: JupyterLab, notebook: str, cell: int, timeout_ms: int = 120_000
) -> None:
    """Open a notebook, wait for its kernel, run every cell up to and including `cell`
    (Run All Above Selected Cell, then the cell itself), wait until they have run."""
    page.goto(lab.notebook_url(notebook))
    cells = page.locator(".jp-Notebook .jp-Cell")
    cells.first.wait_for(timeout=timeout_ms)
    _wait_for_idle_kernel(page, timeout_ms)
    target = cells.nth(cell)
    for command, last in (("notebook:run-all-above", cell - 1), ("notebook:run-cell", cell)):
        for attempt in (1, 2):
            target.locator(".jp-InputPrompt").first.click()  # select it (command mode)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(f'.lm-Menu-item[data-command="{command}"]').click()
            try:  # every code cell up to `last` shows an execution count: [1]:, [2]:, ...
                page.wait_for_function(
                    """last => {
                        const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
                        const code = cells.slice(0, last + 1)
                            .filter(c => c.classList.contains('jp-CodeCell'));
                        return code.every(c => /\\[\\d+\\]/.test(
                            c.querySelector('.jp-InputPrompt').textContent));
                    }""",
                    arg=last,
                    timeout=timeout_ms // 2,
                )
                break
            except Exception:
                if attempt == 2:  # a command sent before the kernel was ready: once more
                    raise
    _wait_for_idle_kernel(page, timeout_ms)


def open_and_run_all(page, lab: JupyterLab, notebook: str, timeout_ms: int = 120_000) -> None:
    """Open a notebook, wait for its kernel, run every cell, wait until all have run."""
    page.goto(lab.notebook_url(notebook))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout_ms)
    _wait_for_idle_kernel(page, timeout_ms)
    for attempt in (1, 2):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        try:  # every code cell shows an execution count: [1]:, [2]:, ...
            page.wait_for_function(
                """() => {
                    const cells = '.jp-CodeCell .jp-InputPrompt';
                    const prompts = [...document.querySelectorAll(cells)];
                    return prompts.length > 0
                        && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
                }""",
                timeout=timeout_ms // 2,
            )
            break
        except Exception:
            if attempt == 2:  # a run-all sent before the kernel was ready: once more
                raise
    _wait_for_idle_kernel(page, timeout_ms)


def _wait_for_idle_kernel(page, timeout_ms: int) -> None:
    """The status bar says the notebook's kernel is connected and idle."""
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=timeout_ms)


# What the reader sees in a cell's output: its printed text (and the text of HTML
# widgets, where the book's explorers print their numbers), and its figures that
# have loaded (an <img> not yet decoded does not count)
_OUTPUT_STATE_JS = """c => ({
    text: [...c.querySelectorAll('.jp-OutputArea-output pre, ' +
                                 '.jp-OutputArea-output .widget-html-content')]
          .map(p => p.textContent).join('\\n'),
    images: [...c.querySelectorAll('.jp-OutputArea-output img')]
            .filter(i => i.complete && i.naturalWidth > 0).map(i => i.src),
})"""


def output_state(cell) -> dict[str, object]:
    return cell.evaluate(_OUTPUT_STATE_JS)


def wait_for_changed_output(
    cell, before: dict, must_change: str, expect_text: str | None = None, timeout_ms=30_000
) -> dict[str, object]:
    """Wait until the cell's output has settled into a changed state, and return it.

    Settled: at least as many loaded figures as before, and text if there was text
    (an explorer clears its output before drawing the new one). Changed: the printed
    text, the figures, either ("any") or both ("text+image"), as `must_change` says;
    and, if given, the text contains `expect_text`.
    """
    cell.page.wait_for_function(
        f"""([c, before, mustChange, expectText]) => {{
            const s = ({_OUTPUT_STATE_JS})(c);
            const settled = s.images.length >= before.images.length
                && (before.text === '' || s.text !== '');
            const text = s.text !== before.text;
            const image = s.images.join() !== before.images.join();
            const changed = {{text, image, any: text || image, 'text+image': text && image}};
            return settled && changed[mustChange]
                && (expectText === null || s.text.includes(expectText));
        }}""",
        arg=[cell.element_handle(), before, must_change, expect_text],
        timeout=timeout_ms,
    )
    return output_state(cell)


def move_slider(page, cell, case: ExplorerCase) -> str:
    """Move the explorer's slider as a reader would; returns the readout before."""
    control = cell.locator(case.control).first
    control.wait_for(state="visible", timeout=30_000)
    control.scroll_into_view_if_needed()
    readout = control.locator(".widget-readout")
    before = readout.inner_text() if readout.count() else ""
    handle = control.locator(".noUi-handle").first
    handle.focus()
    for _ in range(case.presses):
        handle.press("ArrowRight")
    if readout.count() and readout.inner_text() == before:  # at its maximum already
        for _ in range(case.presses):
            handle.press("ArrowLeft")
    return before
