"""Colour-blind-safe figures, checked at their source.

1. The book's palette (`book.plots`: Okabe & Ito's eight colours, and the named
   roles in `COLORS`) stays distinguishable under simulated protanopia,
   deuteranopia and tritanopia: Machado, Oliveira & Fernandes (2009), severity
   1.0, applied in linear RGB; distance is CIE 1976 Delta E in CIELAB (D65).
2. `set_style()` makes that palette matplotlib's and seaborn's colour cycle.
3. No chapter and no module of the package names a colour of its own: every
   colour literal is an Okabe-Ito colour or a grey, every colormap is a
   perceptually uniform one. So every figure's colours come from `book.plots`.

The threshold: Delta E = 2.3 is a just-noticeable difference; we ask for 10 (four
JNDs or more) between any two colours a figure may put side by side. Okabe-Ito's
closest pair under any of the three simulations is 16.1 (tritanopia: sky blue vs
bluish green); matplotlib's default tab10, known not to be colour-blind safe, has
pairs at 4.6 (protanopia: orange vs green) and 7.2 (deuteranopia), and fails.
"""

from __future__ import annotations

import ast
import itertools
import re

import matplotlib
import numpy as np
import pytest
from booksite import ROOT, code_cells, python_source, toc_notebooks

from book.plots import COLORS, OKABE_ITO, set_style

MACHADO_2009 = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
    "normal vision": np.eye(3).tolist(),
}
MIN_DELTA_E = 10.0


def _linear_rgb(hex_colour: str) -> np.ndarray:
    c = np.array(matplotlib.colors.to_rgb(hex_colour))
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    rgb_to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = rgb_to_xyz @ np.clip(linear_rgb, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen_as(hex_colour: str, vision: str) -> np.ndarray:
    """CIELAB coordinates of a colour as seen with a given colour vision."""
    return _lab(np.array(MACHADO_2009[vision]) @ _linear_rgb(hex_colour))


def closest_pair(colours, vision: str) -> tuple[float, str, str]:
    return min(
        (float(np.linalg.norm(seen_as(a, vision) - seen_as(b, vision))), a, b)
        for a, b in itertools.combinations(colours, 2)
    )


def test_the_colour_model_reproduces_known_values():
    # white is L*=100 and black L*=0 under every vision; pure red under protanopia
    # loses most of its lightness (the reason red/green pairs fail)
    for vision in MACHADO_2009:
        assert seen_as("#FFFFFF", vision)[0] == pytest.approx(100, abs=0.5)
        assert seen_as("#000000", vision)[0] == pytest.approx(0, abs=1e-9)
    assert seen_as("#FF0000", "normal vision")[0] == pytest.approx(53.2, abs=0.5)
    assert seen_as("#FF0000", "protanopia")[0] < 45


@pytest.mark.parametrize("vision", MACHADO_2009)
@pytest.mark.parametrize("palette", ["OKABE_ITO", "COLORS"])
def test_the_palette_stays_distinguishable(vision, palette):
    colours = OKABE_ITO if palette == "OKABE_ITO" else sorted(set(COLORS.values()))
    distance, a, b = closest_pair(colours, vision)
    assert distance >= MIN_DELTA_E, f"{a} and {b} are {distance:.1f} apart under {vision}"


def test_the_check_rejects_matplotlibs_default_palette():
    tab10 = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["tab10"].colors]
    assert min(closest_pair(tab10, v)[0] for v in MACHADO_2009) < MIN_DELTA_E


def test_roles_use_okabe_ito_colours():
    assert {c.upper() for c in COLORS.values()} <= {c.upper() for c in OKABE_ITO}


def test_set_style_puts_the_palette_in_the_colour_cycle():
    set_style()
    cycle = [
        matplotlib.colors.to_hex(c).upper()
        for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    ]
    assert cycle == [c.upper() for c in OKABE_ITO[1:]]


# -- no colours of their own in chapters and package -----------------------------------------

COLOUR_KEYWORDS = {
    "color", "c", "colors", "facecolor", "facecolors", "edgecolor", "edgecolors", "fc", "ec",
    "mfc", "mec", "markerfacecolor", "markeredgecolor", "ecolor", "cmap", "palette",
}  # fmt: skip
ACHROMATIC = {
    "k", "w", "black", "white", "none", "gray", "grey", "lightgray", "lightgrey", "darkgray",
    "darkgrey", "dimgray", "dimgrey", "silver", "gainsboro", "whitesmoke",
}  # fmt: skip
# perceptually uniform, colour-blind-safe colormaps, and seaborn's colour-blind palette
SAFE_MAPS = {"viridis", "cividis", "magma", "inferno", "plasma", "greys", "gray", "colorblind"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
_FMT = re.compile(r"^[-.,:o v^<>1-4s8pP*hH+xXDd|_]*[bgrcmykw][-.,:o v^<>1-4s8pP*hH+xXDd|_]*$")


def colour_is_allowed(value: str) -> bool:
    v = value.strip()
    if _HEX.match(v):
        r, g, b = (v[i : i + 2].upper() for i in (1, 3, 5))
        return v[:7].upper() in {c.upper() for c in OKABE_ITO} or r == g == b
    if re.fullmatch(r"C\d", v) or re.fullmatch(r"0?\.\d+|[01]", v):  # cycle / grey level
        return True
    return v.lower() in ACHROMATIC or v.lower().removesuffix("_r") in SAFE_MAPS


def own_colours(code: str) -> list[str]:
    """Colour literals in a piece of Python that do not come from the book's palette."""
    found = []
    for node in ast.walk(ast.parse(python_source(code))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _HEX.match(node.value) and not colour_is_allowed(node.value):
                found.append(node.value)
        if not isinstance(node, ast.Call):
            continue
        called = getattr(node.func, "attr", getattr(node.func, "id", ""))
        values = [k.value for k in node.keywords if k.arg in COLOUR_KEYWORDS]
        if called in {"color_palette", "set_palette", "get_cmap"} and node.args:
            values.append(node.args[0])
        for value in values:
            items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            for item in items:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    if not colour_is_allowed(item.value):
                        found.append(item.value)
        if called == "plot":  # format strings such as "ro-"
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    letters = set(arg.value) & set("bgrcmy")
                    if _FMT.match(arg.value) and letters:
                        found.append(arg.value)
    return sorted(set(found), key=found.index)


def _code_by_file():
    for nb in toc_notebooks():
        yield nb.relative_to(ROOT).as_posix(), code_cells(nb)
    for path in sorted((ROOT / "book").rglob("*.py")):
        if path.name != "plots.py":  # where the palette is defined
            yield path.relative_to(ROOT).as_posix(), [path.read_text()]


CODE = dict(_code_by_file())


@pytest.mark.parametrize("name", CODE)
def test_figures_take_their_colours_from_book_plots(name):
    found = [c for cell in CODE[name] for c in own_colours(cell)]
    assert not found, f"{name} uses colours outside book.plots: {found}"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ax.plot(x, y, color='red')", ["red"]),
        ("ax.plot(x, y, 'ro-')", ["ro-"]),
        ("sns.heatmap(m, cmap='jet')", ["jet"]),
        ("sns.set_palette('tab10')", ["tab10"]),
        ("ax.bar(x, y, color=['#FF0000', '#0072B2'])", ["#FF0000"]),
        ("ax.plot(x, y, 'o-', color=COLORS['alliance'])", []),
        ("ax.bar(x, y, color='#CC79A7', edgecolor='white')", []),
        ("sns.heatmap(m, cmap='viridis_r')", []),
    ],
)
def test_the_colour_scan_finds_own_colours(code, expected):
    assert own_colours(code) == expected
