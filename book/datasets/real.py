"""Real data sets with published analyses: where they come from, what they hold, how to read them.

No openly licensed session-by-session alliance data set can be shipped with
the book, so its real data are of three neighbouring kinds, each with a
published analysis to reproduce or a trait-and-state question to ask:

``btheb``
    Beat the Blues (Proudfoot et al. 2003): a randomised trial of
    computerised cognitive behavioural therapy for depression, 100 patients,
    BDI-II at baseline and four follow-ups. Everitt and Hothorn's handbook
    (Hothorn & Everitt 2014, chapter 13) fits mixed models to it.
``sleepstudy``
    Reaction times of 18 sleep-deprived volunteers over 10 days (Belenky et
    al. 2003), the example of Bates et al. (2015) for a random-slope model.
``sai``, ``tai``
    State anxiety measured two to four times and trait anxiety once, item by
    item, in studies of the Personality, Motivation and Cognition laboratory
    (R package psychTools, Revelle 2022).

The tables were extracted once from the R packages that ship them, as Debian
packages them (``tools/real_data.py``, ``make real-data``), and are committed
in ``data/real/`` with a ``datapackage.json`` that records each table's
source, licence, citation, codebook and sha256. :func:`load_real` reads a
table back only if it matches all of these.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from book import __version__
from book.datasets.codebook import Field
from book.datasets.tables import (
    DataValidationError,
    csv_bytes,
    read_table,
    schema_markdown,
    table_resource,
    validate_table,
)

__all__ = [
    "REAL_DATA_DIR",
    "SOURCES",
    "STAI_KEYS",
    "STATE_DESIGNS",
    "TABLES",
    "anxiety_long",
    "btheb_long",
    "load_real",
    "stai_scores",
    "write_real_data",
]

#: Where the real data sets live: ``data/real/`` at the top of the repository.
REAL_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "real"

_FLOAT_FORMAT = "%.10g"
_REMEDY = "run `make real-data` (needs R and Debian's R packages) to extract data/real/ again"

_GPL2 = {
    "name": "GPL-2.0-only",
    "title": "GNU General Public License, version 2",
    "path": "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
}
_GPL2_PLUS = {
    "name": "GPL-2.0-or-later",
    "title": "GNU General Public License, version 2 or later",
    "path": "https://www.gnu.org/licenses/old-licenses/gpl-2.0.html",
}

# ---------------------------------------------------------------------------
# the State-Trait Anxiety Inventory items, as psychTools names them

#: State anxiety items (the STAI state scale, as psychTools names them), in table order.
SAI_ITEMS = (
    "calm", "secure", "tense", "regretful", "at_ease", "upset", "worrying", "rested",
    "anxious", "comfortable", "confident", "nervous", "jittery", "high_strung", "relaxed",
    "content", "worried", "rattled", "joyful", "pleasant",
)  # fmt: skip
#: Trait anxiety items (the STAI trait scale, as psychTools names them), in table order.
TAI_ITEMS = (
    "pleasant", "nervous", "not_satisfied", "wish_happy", "failure", "rested", "calm",
    "difficulties", "worry", "happy", "disturbing_thoughts", "lack_self_confidence",
    "secure", "decisive", "inadequate", "content", "thoughts_bother", "disappointments",
    "steady", "tension",
)  # fmt: skip

#: Scoring keys of the two scales: the anxiety-absent items, reverse-scored
#: (5 minus the rating), as in psychTools' documented keys (``sai.keys``,
#: ``tai.keys``): the other items are scored as rated.
STAI_KEYS = {
    "sai": {
        "items": SAI_ITEMS,
        "reversed": ("calm", "secure", "at_ease", "rested", "comfortable", "confident",
                     "relaxed", "content", "joyful", "pleasant"),
    },
    "tai": {
        "items": TAI_ITEMS,
        "reversed": ("pleasant", "rested", "calm", "happy", "secure", "content", "steady"),
    },
}  # fmt: skip

_SAI_STUDIES = (
    "AGES", "Cart", "CITY", "EMIT", "Fast", "FIAT", "FILM", "FLAT", "GRAY", "HOME", "IMPS",
    "ITEM", "Maps", "MITE", "MIXX", "PAT", "PATS", "RAFT", "RIM", "ROB", "SALT", "SAM",
    "SHED", "SHOP", "SWAM.one", "SWAM.two", "VALE", "XRAY",
)  # fmt: skip
# the same studies; the trait table spells one of them in capitals
_TAI_STUDIES = tuple("CART" if s == "Cart" else s for s in _SAI_STUDIES)


def _stai_fields(scale: str, studies: tuple[str, ...]) -> list[Field]:
    what = {"sai": "state anxiety (STAI)", "tai": "trait anxiety (STAI)"}[scale]
    reversed_items = STAI_KEYS[scale]["reversed"]
    fields = [
        Field("row", "integer", "row number in the R data set (its row name)", "", 1),
        Field("study", "string", "study of the PMC laboratory (code name)", categories=studies),
        Field(
            "time",
            "integer",
            "administration: 1 before any manipulation, then 2, 3, 4"
            if scale == "sai"
            else "administration (always 1: measured once)",
            "occasion",
            1,
            4 if scale == "sai" else 1,
        ),
        Field("id", "integer", "participant within the study", "", 1, required=False),
    ]
    for item in STAI_KEYS[scale]["items"]:
        direction = "anxiety-absent, reverse-scored" if item in reversed_items else "as rated"
        fields.append(
            Field(
                item,
                "integer",
                f"{what} item '{item.replace('_', ' ')}' ({direction})",
                "rating 1-4",
                1,
                4,
                required=False,
            )
        )
    return fields


_BDI = "Beck Depression Inventory II total"

#: The codebook of every real table, in column order.
TABLES: dict[str, list[Field]] = {
    "btheb": [
        Field("subject", "integer", "patient (the R data set's row name)", "", 1, 100),
        Field(
            "drug",
            "string",
            "taking antidepressant medication",
            categories=("No", "Yes"),
        ),
        Field(
            "length",
            "string",
            "length of the current episode of depression: under or over six months",
            categories=("<6m", ">6m"),
        ),
        Field(
            "treatment",
            "string",
            "randomised arm: treatment as usual or Beat the Blues",
            categories=("TAU", "BtheB"),
        ),
        Field("bdi_pre", "integer", f"{_BDI} before treatment", "BDI-II points", 0, 63),
        *(
            Field(
                f"bdi_{m}m",
                "integer",
                f"{_BDI} {m} months after the start (empty: not measured)",
                "BDI-II points",
                0,
                63,
                required=False,
            )
            for m in (2, 3, 5, 8)
        ),
    ],
    "sleepstudy": [
        Field("reaction", "number", "average reaction time on the day", "ms", 0),
        Field(
            "days",
            "integer",
            "day of the study (lme4's 'number of days of sleep deprivation'; its help "
            "page adds that days 0-1 were adaptation and training, day 2 baseline)",
            "days",
            0,
            9,
        ),
        Field("subject", "integer", "volunteer (the R factor's label)", "", 1),
    ],
    "sai": _stai_fields("sai", _SAI_STUDIES),
    "tai": _stai_fields("tai", _TAI_STUDIES),
}

_KEYS = {
    "btheb": ["subject"],
    "sleepstudy": ["subject", "days"],
    "sai": ["row"],
    "tai": ["row"],
}


def _stai_columns(items) -> dict[str, str]:
    return {".row": "row"} | {i.replace("_", "."): i for i in items}


_PSYCHTOOLS = {
    "r_package": "psychTools",
    "r_version": "2.2.9",
    "debian": "r-cran-psychtools",
    "debian_version": "2.2.9-1",
    "license": _GPL2_PLUS,
    "citation": "Revelle, W. (2022). psychTools: Tools to accompany the 'psych' package "
    "for psychological research (R package version 2.2.9). Northwestern University. "
    "Data collected at the Personality, Motivation and Cognition Laboratory, "
    "Northwestern University, 1991-1999.",
}

#: Where each table comes from: the R package and data set, the Debian package
#: (and the versions extracted), the licence, the citation, the R columns renamed.
SOURCES: dict[str, dict] = {
    "btheb": {
        "title": "Beat the Blues: depression (BDI-II) in a trial of computerised CBT",
        "description": "One row per patient (wide form, as published): baseline covariates "
        "and BDI-II at baseline and four follow-ups.",
        "r_package": "HSAUR3",
        "r_version": "1.0-13",
        "r_name": "BtheB",
        "debian": "r-cran-hsaur3",
        "debian_version": "1.0-13-1",
        "license": _GPL2,
        "citation": "Proudfoot, J., Goldberg, D., Mann, A., Everitt, B. S., Marks, I., & "
        "Gray, J. A. (2003). Computerized, interactive, multimedia cognitive-behavioural "
        "program for anxiety and depression in general practice. Psychological Medicine, "
        "33(2), 217-227. Data as published in Hothorn, T., & Everitt, B. S. (2014). A "
        "Handbook of Statistical Analyses Using R (3rd ed.). CRC Press.",
        "columns": {
            ".row": "subject",
            "bdi.pre": "bdi_pre",
            "bdi.2m": "bdi_2m",
            "bdi.3m": "bdi_3m",
            "bdi.5m": "bdi_5m",
            "bdi.8m": "bdi_8m",
        },
    },
    "sleepstudy": {
        "title": "Reaction times in a sleep-deprivation study",
        "description": "One row per volunteer and day: the most sleep-deprived group (3 "
        "hours in bed a night) of Belenky et al. (2003), first 10 days.",
        "r_package": "lme4",
        "r_version": "1.1-31",
        "r_name": "sleepstudy",
        "debian": "r-cran-lme4",
        "debian_version": "1.1-31-1",
        "license": _GPL2_PLUS,
        "citation": "Belenky, G., Wesensten, N. J., Thorne, D. R., Thomas, M. L., Sing, H. C., "
        "Redmond, D. P., Russo, M. B., & Balkin, T. J. (2003). Patterns of performance "
        "degradation and restoration during sleep restriction and subsequent recovery: a "
        "sleep dose-response study. Journal of Sleep Research, 12(1), 1-12. Data as "
        "published in the R package lme4 (Bates, Maechler, Bolker & Walker 2015).",
        "columns": {"Reaction": "reaction", "Days": "days", "Subject": "subject"},
    },
    "sai": _PSYCHTOOLS
    | {
        "title": "State anxiety, item by item, on repeated occasions",
        "description": "One row per participant and administration of the state scale.",
        "r_name": "sai",
        "columns": _stai_columns(SAI_ITEMS),
    },
    "tai": _PSYCHTOOLS
    | {
        "title": "Trait anxiety, item by item",
        "description": "One row per participant: the trait scale, given once.",
        "r_name": "tai",
        "columns": _stai_columns(TAI_ITEMS),
    },
}


# ---------------------------------------------------------------------------
# writing (used once, by tools/real_data.py)


def write_real_data(tables: dict[str, pd.DataFrame], directory: str | Path) -> dict:
    """Write the real tables as CSV with ``datapackage.json`` and a codebook ``README.md``.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        One table per name in :data:`TABLES`, with exactly its columns.
    directory : str or pathlib.Path
        Where to write; created if missing. Existing files are replaced.

    Returns
    -------
    dict
        The data package descriptor that was written.

    Raises
    ------
    DataValidationError
        If a table is missing or breaks its codebook.
    """
    if set(tables) != set(TABLES):
        raise DataValidationError(f"need the tables {sorted(TABLES)}, got {sorted(tables)}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    resources = []
    for name, fields in TABLES.items():
        frame = tables[name]
        problems = validate_table(frame, fields, _KEYS[name])
        if problems:
            raise DataValidationError(f"table {name!r} breaks its codebook: {problems[:5]}")
        data = csv_bytes(frame, float_format=_FLOAT_FORMAT)
        (directory / f"{name}.csv").write_bytes(data)
        resources.append(_resource(name, data, len(frame)))
    package = {
        "profile": "tabular-data-package",
        "name": "alliance-book-real-data",
        "title": "Real repeated-measures data sets with published analyses",
        "description": "Tables extracted from R packages (as Debian packages them) by "
        "tools/real_data.py, for the book's chapter on real data. Each resource names its "
        "source, licence and citation.",
        "version": __version__,
        "created_by": {"package": "book", "version": __version__, "tool": "tools/real_data.py"},
        "resources": resources,
    }
    (directory / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n")
    (directory / "README.md").write_text(_codebook_markdown(package))
    return package


def _resource(name: str, data: bytes, rows: int) -> dict:
    s = SOURCES[name]
    return table_resource(
        name,
        f"{name}.csv",
        data,
        rows=rows,
        fields=TABLES[name],
        key=_KEYS[name],
        description=s["description"],
        title=s["title"],
        sources=[
            {
                "title": f"R package {s['r_package']} {s['r_version']}, data set {s['r_name']} "
                f"(Debian package {s['debian']} {s['debian_version']})",
                "path": f"https://CRAN.R-project.org/package={s['r_package']}",
            }
        ],
        licenses=[s["license"]],
        citation=s["citation"],
    )


def _codebook_markdown(package: dict) -> str:
    lines = [
        "# Real data sets",
        "",
        "<!-- Generated by `make real-data` (python -m tools.real_data). Do not edit by hand. -->",
        "",
        "Real data, unlike the simulated study in `data/`: published data sets that R",
        "packages ship, extracted once from those packages as Debian packages them",
        "(`tools/real_data.py`) and committed here. Load a table with",
        '`book.datasets.real.load_real("btheb")`, which checks it against this codebook',
        "and its sha256 in `datapackage.json`. An empty cell is a missing value. Each",
        "table keeps the licence of the package it comes from (below), not the book's.",
        "",
        "| file | rows | title | source | licence |",
        "| --- | --- | --- | --- | --- |",
    ]
    for res in package["resources"]:
        lines.append(
            f"| `{res['path']}` | {res['rows']} | {res['title']} | {res['sources'][0]['title']} "
            f"| {res['licenses'][0]['name']} |"
        )
    for res in package["resources"]:
        lines += [
            "",
            f"## `{res['path']}`: {res['title']}",
            "",
            res["description"],
            "",
            f"**Source.** {res['sources'][0]['title']}, {res['sources'][0]['path']}.",
            f"**Licence.** {res['licenses'][0]['title']} ({res['licenses'][0]['name']}).",
            f"**Cite.** {res['citation']}",
            "",
            *schema_markdown(res),
        ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# reading


def load_real(name: str, directory: str | Path | None = None) -> pd.DataFrame:
    """Load one real data set, checked against its codebook and its recorded hash.

    Parameters
    ----------
    name : {"btheb", "sleepstudy", "sai", "tai"}
        The table (see the module's description).
    directory : str or pathlib.Path, optional
        A folder written by :func:`write_real_data`; ``data/real/`` when omitted.

    Returns
    -------
    pandas.DataFrame
        The table with the codebook's columns and types (nullable integers,
        floats, text); missing values are ``<NA>``.

    Raises
    ------
    ValueError
        If ``name`` is not one of the tables.
    FileNotFoundError
        If the folder or the file is missing.
    DataValidationError
        If the file's sha256 differs from ``datapackage.json`` or a value
        breaks the codebook.

    Examples
    --------
    >>> from book.datasets.real import load_real
    >>> btheb = load_real("btheb")
    >>> btheb.shape, btheb["treatment"].value_counts().to_dict()
    ((100, 9), {'BtheB': 52, 'TAU': 48})
    """
    if not isinstance(name, str) or name not in TABLES:
        raise ValueError(f"name must be one of {sorted(TABLES)}, got {name!r}")
    directory = Path(REAL_DATA_DIR if directory is None else directory)
    descriptor = directory / "datapackage.json"
    if not descriptor.is_file():
        raise FileNotFoundError(f"no datapackage.json in {directory}; {_REMEDY}")
    resources = {r["name"]: r for r in json.loads(descriptor.read_text())["resources"]}
    if name not in resources:
        raise DataValidationError(f"{descriptor} has no resource named {name!r}; {_REMEDY}")
    return read_table(directory, resources[name], TABLES[name], _KEYS[name], remedy=_REMEDY)


# ---------------------------------------------------------------------------
# the shapes the published analyses use

#: Months after the start of treatment of each follow-up, as Everitt and
#: Hothorn's R code codes ``time``: ``rep(c(2, 3, 5, 8), ...)``.
BTHEB_MONTHS = (2, 3, 5, 8)


def btheb_long(btheb: pd.DataFrame | None = None) -> pd.DataFrame:
    """Beat the Blues in long form, as the handbook's R code reshapes it.

    One row per patient and follow-up with a BDI-II score: ``subject``,
    ``drug``, ``length``, ``treatment`` (categorical, with R's levels in R's
    order, so the first is the reference: ``No``, ``<6m``, ``TAU``),
    ``bdi_pre``, ``time`` (months since the start: 2, 3, 5 or 8) and ``bdi``.
    Follow-ups that were not measured are dropped, as
    ``lmer(..., na.action = na.omit)`` drops them in Hothorn & Everitt (2014,
    section 13.3), which leaves 280 rows from 97 patients. Rows are ordered
    by time, then patient, as R's ``reshape`` orders them.

    Parameters
    ----------
    btheb : pandas.DataFrame, optional
        The wide table; :func:`load_real("btheb") <load_real>` when omitted.

    Examples
    --------
    >>> long = btheb_long()
    >>> len(long), long["subject"].nunique(), sorted(long["time"].unique().tolist())
    (280, 97, [2, 3, 5, 8])
    """
    wide = load_real("btheb") if btheb is None else btheb
    baseline = ["subject", "drug", "length", "treatment", "bdi_pre"]
    missing = [c for c in baseline + [f"bdi_{m}m" for m in BTHEB_MONTHS] if c not in wide]
    if missing:
        raise ValueError(f"btheb lacks the columns {missing}")
    parts = [wide[baseline].assign(time=month, bdi=wide[f"bdi_{month}m"]) for month in BTHEB_MONTHS]
    long = pd.concat(parts, ignore_index=True)
    long = long[long["bdi"].notna()].reset_index(drop=True)
    # R's factor levels, first level the reference: TAU, No, <6m
    levels = {f.name: pd.CategoricalDtype(f.categories) for f in TABLES["btheb"] if f.categories}
    return long.astype({"time": "int64", "bdi": "float64", "bdi_pre": "float64"} | levels)


def stai_scores(items: pd.DataFrame, scale: str, *, min_items: int = 17) -> pd.Series:
    """Total scores of the state (``"sai"``) or trait (``"tai"``) anxiety scale, 20 to 80.

    Anxiety-absent items are reverse-scored (5 minus the rating; see
    :data:`STAI_KEYS`) and the 20 items summed. A person who skipped a few
    items gets the mean of the items answered times 20 (prorating); with
    fewer than ``min_items`` answered the score is missing.

    Parameters
    ----------
    items : pandas.DataFrame
        A table with the scale's item columns (``load_real("sai")`` or
        ``load_real("tai")``).
    scale : {"sai", "tai"}
        Which scale.
    min_items : int, default 17
        Fewest items answered for a score (a design choice: at most three of
        twenty missing).

    Returns
    -------
    pandas.Series
        One score per row of ``items``, aligned with its index, named ``scale``.

    Examples
    --------
    >>> import pandas as pd
    >>> calm_person = pd.DataFrame([{i: (4 if i in STAI_KEYS["sai"]["reversed"] else 1)
    ...                              for i in SAI_ITEMS}])
    >>> stai_scores(calm_person, "sai").tolist()
    [20.0]
    """
    if scale not in STAI_KEYS:
        raise ValueError(f"scale must be 'sai' or 'tai', got {scale!r}")
    if not isinstance(min_items, int) or not 1 <= min_items <= 20:
        raise ValueError(f"min_items must be a whole number from 1 to 20, got {min_items!r}")
    key = STAI_KEYS[scale]
    missing = [i for i in key["items"] if i not in items]
    if missing:
        raise ValueError(f"the {scale} items {missing} are not in the table")
    ratings = items[list(key["items"])].astype("float64")
    reverse = list(key["reversed"])
    ratings[reverse] = 5 - ratings[reverse]
    answered = ratings.notna().sum(axis=1)
    score = ratings.mean(axis=1) * len(key["items"])
    return score.where(answered >= min_items, np.nan).rename(scale)


#: The studies whose state-anxiety administrations psychTools' documentation
#: groups by what happened between them (the ``sai`` help page's examples).
STATE_DESIGNS = {
    "same session, no manipulation": ("CART", "FAST", "SHED", "SHOP"),
    "same session, a film between": ("FIAT", "FLAT"),
    "caffeine or placebo between": ("AGES", "SALT", "VALE", "XRAY"),
    "two days, once a day": ("RIM", "SAM"),
}


def anxiety_long(sai: pd.DataFrame | None = None, tai: pd.DataFrame | None = None) -> pd.DataFrame:
    """State anxiety on repeated occasions with each person's trait anxiety, in long form.

    One row per person and administration of the state scale, for everyone
    with a state score on two or more occasions: ``study`` (in capitals, the
    spelling the two tables share), ``id``, ``person`` (``"STUDY-id"``),
    ``design`` (the kind of study, :data:`STATE_DESIGNS`, or ``"other"``),
    ``time``, ``state`` and ``trait`` (:func:`stai_scores`, 20-80; ``trait``
    is missing for the few without a trait score).

    Rows without a participant id (study GRAY) cannot be linked across
    occasions and are left out, as are persons listed twice on the same
    occasion (one in study HOME), whose rows cannot be told apart.

    Parameters
    ----------
    sai, tai : pandas.DataFrame, optional
        The item tables; :func:`load_real` ``("sai")`` and ``("tai")`` when
        omitted.

    Examples
    --------
    >>> d = anxiety_long()
    >>> d["person"].nunique(), d.groupby("design")["person"].nunique()["two days, once a day"]
    (1875, np.int64(650))
    """
    sai = load_real("sai") if sai is None else sai
    tai = load_real("tai") if tai is None else tai
    state = pd.DataFrame(
        {
            "study": sai["study"].str.upper(),
            "id": sai["id"],
            "time": sai["time"],
            "state": stai_scores(sai, "sai"),
        }
    )
    trait = pd.DataFrame(
        {"study": tai["study"].str.upper(), "id": tai["id"], "trait": stai_scores(tai, "tai")}
    )
    state = state[state["id"].notna() & state["state"].notna()]
    state = state[~state.duplicated(["study", "id", "time"], keep=False)]
    trait = trait[trait["id"].notna() & ~trait.duplicated(["study", "id"], keep=False)]
    state = state[state.groupby(["study", "id"])["time"].transform("size") >= 2]
    out = state.merge(trait, on=["study", "id"], how="left", validate="m:1")
    out["id"] = out["id"].astype("int64")
    out["time"] = out["time"].astype("int64")
    out["study"] = out["study"].astype(str)
    out.insert(2, "person", out["study"] + "-" + out["id"].astype(str))
    design = {s: name for name, studies in STATE_DESIGNS.items() for s in studies}
    out.insert(3, "design", out["study"].map(design).fillna("other"))
    return out.sort_values(["study", "id", "time"], ignore_index=True)
