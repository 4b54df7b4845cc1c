"""The book's JavaScript, vendored: what a reader's browser runs comes from the book itself.

The HTML book loads MathJax (formulas), require.js and the Jupyter widget manager
(ipywidgets outputs) from its own ``_static/vendor/``, never from a CDN, so that a
page works offline and sends no request to another host. The browser tests load
axe-core (accessibility checks) from ``tests/browser/vendor/``. Each file comes
from an npm package at the version pinned in :data:`PACKAGES`, with the package's
licence beside it; ``MANIFEST.json`` in each folder lists the package, its
version, the npm tarball's integrity hash and the sha256 of every file, and
``tests/test_vendor.py`` checks the files against it.

``make vendor`` (``python -m tools.vendor``) refreshes the files: it downloads the
pinned tarballs with ``npm pack`` (npm checks each against the registry's
integrity hash), copies the files the book uses and rewrites the manifests. It is
the only step that needs the network; ``make book`` and ``make test`` never do. To
update a package, change its version here, run ``make vendor``, rebuild, and run
the browser tests.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PACKAGES", "Package", "file_digest", "manifest_problems", "vendor"]

ROOT = Path(__file__).resolve().parents[1]
SITE_VENDOR = Path("_static/vendor")
TEST_VENDOR = Path("tests/browser/vendor")


@dataclass(frozen=True)
class Package:
    """An npm package at a pinned version, and which of its files the book keeps.

    ``files`` are glob patterns relative to the package's root (``*`` crosses
    folders); ``strip`` is a folder prefix removed from each kept path; the files
    go to ``dest/<folder>/``.
    """

    name: str
    version: str
    licence: str
    folder: str
    dest: Path
    files: tuple[str, ...]
    licence_files: tuple[str, ...] = ("LICENSE",)
    strip: str = ""
    why: str = ""


PACKAGES = (
    Package(
        name="mathjax",
        version="3.2.2",
        licence="Apache-2.0",
        folder="mathjax",
        dest=SITE_VENDOR,
        strip="es5/",
        files=(
            "es5/tex-chtml.js",  # TeX in, HTML-CSS out, with the menu and assistive MathML
            "es5/input/tex/extensions/*.js",  # loaded on demand by \require and autoload
            "es5/output/chtml/fonts/woff-v2/*.woff",
            "es5/a11y/*.js",  # the menu's accessibility options
            "es5/ui/*.js",
            "es5/sre/mathmaps/base.json",  # speech (menu option), English only
            "es5/sre/mathmaps/en.json",
            "es5/sre/mathmaps/nemeth.json",
        ),
        why="formulas (Sphinx's mathjax_path)",
    ),
    Package(
        name="requirejs",
        version="2.3.8",
        licence="MIT",
        folder="requirejs",
        dest=SITE_VENDOR,
        files=("require.js",),
        # the tarball has no licence file: its package.json and README state MIT
        licence_files=("package.json", "README.md"),
        why="module loader of the widget manager (myst-nb's nb_ipywidgets_js)",
    ),
    Package(
        name="@jupyter-widgets/html-manager",
        version="1.0.15",
        licence="BSD-3-Clause",
        folder="html-manager",
        dest=SITE_VENDOR,
        strip="dist/",
        files=(
            "dist/embed-amd.js",  # ipywidgets 8 controls, bundled
            "dist/*.woff2",  # Font Awesome, loaded by the bundle next to itself
            "dist/*.woff",
        ),
        # no licence file in the tarball: package.json states BSD-3-Clause; the bundle's
        # third-party notices are in dist/embed.js.LICENSE.txt
        licence_files=("package.json", "dist/embed.js.LICENSE.txt"),
        why="renders ipywidgets outputs without a kernel (myst-nb's nb_ipywidgets_js)",
    ),
    Package(
        name="axe-core",
        version="4.14.1",
        licence="MPL-2.0",
        folder="axe-core",
        dest=TEST_VENDOR,
        files=("axe.min.js",),
        licence_files=("LICENSE", "LICENSE-3RD-PARTY.txt"),
        why="accessibility checks in the browser tests (not part of the book)",
    ),
)

MANIFEST = "MANIFEST.json"


def file_digest(path: Path) -> str:
    """The sha256 of a file, in hex.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_digest(p)[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _matches(path: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def _npm_pack(package: Package, workdir: Path) -> tuple[Path, str]:
    """Download the pinned tarball; returns it and npm's integrity hash of it."""
    spec = f"{package.name}@{package.version}"
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    info = json.loads(out.stdout)[0]
    if info["version"] != package.version:
        raise RuntimeError(f"npm gave {info['name']}@{info['version']}, not {spec}")
    return workdir / info["filename"], info["integrity"]


def _extract(package: Package, tarball: Path, target: Path) -> list[str]:
    kept = []
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            inner = member.name.removeprefix("package/")
            if _matches(inner, package.files):
                name = inner.removeprefix(package.strip)
            elif inner in package.licence_files:
                name = Path(inner).name  # kept under its own name, beside the files
            else:
                continue
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(tar.extractfile(member).read())
            kept.append(name)
    for pattern in (*package.files, *package.licence_files):
        if not any(fnmatch.fnmatchcase(m, pattern) for m in _members(tarball)):
            raise RuntimeError(f"{package.name}@{package.version} has no file {pattern!r}")
    return sorted(kept)


def _members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as tar:
        return [m.name.removeprefix("package/") for m in tar.getmembers() if m.isfile()]


def vendor(root: Path = ROOT) -> dict[Path, dict]:
    """Download every pinned package and rewrite the vendored folders and manifests.

    Needs ``npm`` and the npm registry. Returns the manifests written, by folder.
    """
    if shutil.which("npm") is None:
        raise SystemExit("make vendor needs npm (Debian: apt-get install -y npm)")
    manifests: dict[Path, dict] = {}
    with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
        work = Path(tmp)
        for dest in {p.dest for p in PACKAGES}:
            for package in (p for p in PACKAGES if p.dest == dest):
                folder = root / dest / package.folder
                if folder.exists():
                    shutil.rmtree(folder)
                tarball, integrity = _npm_pack(package, work)
                kept = _extract(package, tarball, folder)
                manifests.setdefault(dest, {"packages": []})["packages"].append(
                    {
                        "name": package.name,
                        "version": package.version,
                        "licence": package.licence,
                        "npm_integrity": integrity,
                        "folder": package.folder,
                        "why": package.why,
                        "files": {
                            name: {
                                "sha256": file_digest(folder / name),
                                "bytes": (folder / name).stat().st_size,
                            }
                            for name in kept
                        },
                    }
                )
    for dest, manifest in manifests.items():
        (root / dest / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifests


def manifest_problems(folder: Path) -> list[str]:
    """Differences between a vendored folder and its manifest: a changed, missing or extra file,
    or a package whose version is not the one pinned in :data:`PACKAGES`."""
    manifest = json.loads((folder / MANIFEST).read_text())
    pinned = {p.name: p for p in PACKAGES}
    problems, listed = [], set()
    for entry in manifest["packages"]:
        package = pinned.get(entry["name"])
        if package is None or package.version != entry["version"]:
            problems.append(f"{entry['name']}@{entry['version']} is not the pinned version")
        base = folder / entry["folder"]
        for name, meta in entry["files"].items():
            path = base / name
            listed.add(path)
            if not path.is_file():
                problems.append(f"{path.relative_to(folder)} is missing")
            elif file_digest(path) != meta["sha256"]:
                problems.append(f"{path.relative_to(folder)} differs from the pinned package")
    extra = {p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST} - listed
    problems += [f"{p.relative_to(folder)} is not in the manifest" for p in sorted(extra)]
    return problems


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    for dest, manifest in vendor().items():
        total = sum(f["bytes"] for p in manifest["packages"] for f in p["files"].values())
        names = ", ".join(f"{p['name']}@{p['version']}" for p in manifest["packages"])
        print(f"{dest}: {names} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
