"""The reader's ways out of the page: every notebook chapter has a Binder button that
opens that notebook in JupyterLab, and a download of the notebook itself."""

import re

import pytest
import yaml
from booksite import ROOT, is_external, resolve, toc_notebooks

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

NOTEBOOKS = [p.relative_to(ROOT).as_posix() for p in toc_notebooks()]


def binder_url(notebook: str) -> str:
    """The Binder address sphinx-book-theme should write for a notebook."""
    repo = CONFIG["repository"]["url"].removeprefix("https://github.com/").strip("/")
    hub = CONFIG["launch_buttons"]["binderhub_url"].rstrip("/")
    branch = CONFIG["repository"]["branch"]
    return f"{hub}/v2/gh/{repo}/{branch}?urlpath=lab/tree/{notebook}"


def test_binder_opens_jupyterlab_on_mybinder():
    assert CONFIG["launch_buttons"]["notebook_interface"] == "jupyterlab"
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert CONFIG["repository"]["url"].startswith("https://github.com/")
    assert CONFIG["repository"].get("path_to_book", "") == ""


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_notebook_chapter_has_a_binder_button(pages, notebook):
    page = pages[notebook.removesuffix(".ipynb") + ".html"]
    urls = [link.url for link in page.links if link.tag == "a"]
    assert binder_url(notebook) in urls, f"no Binder link to {notebook} on {page.relpath}"
    downloads = [u for u in urls if not is_external(u) and u.split("#")[0].endswith(".ipynb")]
    assert downloads, f"no download of {notebook} on {page.relpath}"
    for url in downloads:
        assert resolve(page.path, url)[0].is_file(), url


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_live_code_asks_binder_for_this_repository_and_branch(notebook):
    """ "Live Code" (thebe) starts a kernel on Binder for the same repository and
    branch as the launch button, in the notebook's own folder."""
    html = (ROOT / "_build" / "html" / (notebook.removesuffix(".ipynb") + ".html")).read_text()
    config = re.search(r'<script type="text/x-thebe-config">(.*?)</script>', html, re.S)
    assert config, f"no thebe configuration on the page of {notebook}"
    repo = CONFIG["repository"]["url"].removeprefix("https://github.com/").strip("/")
    assert f'repo: "{repo}"' in config.group(1)
    assert f'ref: "{CONFIG["repository"]["branch"]}"' in config.group(1)
    folder = notebook.rsplit("/", 1)[0] if "/" in notebook else "."
    assert f'path: "./{folder}"' in config.group(1) or folder == "."
