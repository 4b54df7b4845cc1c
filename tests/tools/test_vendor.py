"""The vendored JavaScript: the files are those of the pinned npm packages, byte for byte,
with their licences, and the book's configuration loads them instead of a CDN."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from tools.vendor import MANIFEST, PACKAGES, ROOT, manifest_problems

FOLDERS = sorted({p.dest for p in PACKAGES})


@pytest.mark.parametrize("dest", FOLDERS, ids=str)
def test_every_vendored_file_matches_its_manifest(dest):
    assert manifest_problems(ROOT / dest) == []


@pytest.mark.parametrize("dest", FOLDERS, ids=str)
def test_the_manifest_lists_the_pinned_packages_with_licences(dest):
    manifest = json.loads((ROOT / dest / MANIFEST).read_text())
    listed = {(p["name"], p["version"], p["licence"]) for p in manifest["packages"]}
    pinned = {(p.name, p.version, p.licence) for p in PACKAGES if p.dest == dest}
    assert listed == pinned
    for package in PACKAGES:
        if package.dest != dest:
            continue
        entry = next(p for p in manifest["packages"] if p["name"] == package.name)
        assert entry["npm_integrity"].startswith("sha512-")
        for licence in package.licence_files:
            name = licence.rsplit("/", 1)[-1]
            assert name in entry["files"], f"{package.name}: no {name}"


def test_the_check_catches_a_changed_a_missing_and_an_extra_file(tmp_path):
    copy = tmp_path / "vendor"
    shutil.copytree(ROOT / "_static" / "vendor", copy)
    (copy / "requirejs" / "require.js").write_text("// changed\n")
    (copy / "mathjax" / "tex-chtml.js").unlink()
    (copy / "mathjax" / "stray.js").write_text("")
    found = " | ".join(manifest_problems(copy))
    assert "requirejs/require.js differs" in found
    assert "mathjax/tex-chtml.js is missing" in found
    assert "mathjax/stray.js is not in the manifest" in found


def _sphinx_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]


def _site_files() -> set[str]:
    manifest = json.loads((ROOT / "_static" / "vendor" / MANIFEST).read_text())
    return {f"vendor/{p['folder']}/{name}" for p in manifest["packages"] for name in p["files"]}


def test_the_book_loads_mathjax_and_the_widget_manager_from_its_own_copies():
    config, files = _sphinx_config(), _site_files()
    # both are paths relative to _static, not URLs
    assert config["mathjax_path"] in files
    scripts = list(config["nb_ipywidgets_js"])
    # require.js's configuration (where the manager's files are), require.js, the manager
    assert scripts == [
        "widgets-setup.js",
        "vendor/requirejs/require.js",
        "vendor/html-manager/embed-amd.js",
    ]
    assert set(scripts[1:]) <= files
    assert "vendor/html-manager" in (ROOT / "_static" / scripts[0]).read_text()
    embed = config["nb_ipywidgets_js"]["vendor/html-manager/embed-amd.js"]
    assert "://" not in embed["data-jupyter-widgets-cdn"]
    assert embed["data-jupyter-widgets-cdn-only"] == "true"


def test_the_widget_manager_matches_the_pinned_ipywidgets():
    """html-manager 1.x is the embedding library of ipywidgets 8 (widget protocol 2)."""
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["ipywidgets"].split(".")[0] == "8"
    manager = next(p for p in PACKAGES if p.name == "@jupyter-widgets/html-manager")
    assert manager.version.split(".")[0] == "1"
