"""The real data sets: committed as extracted, described and hashed, validated on load."""

import filecmp
import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from book.datasets.real import (
    REAL_DATA_DIR,
    SOURCES,
    STAI_KEYS,
    STATE_DESIGNS,
    TABLES,
    anxiety_long,
    btheb_long,
    load_real,
    stai_scores,
    write_real_data,
)
from book.datasets.tables import DataValidationError, sha256


@pytest.fixture(scope="module")
def tables():
    return {name: load_real(name) for name in TABLES}


def _package():
    return json.loads((REAL_DATA_DIR / "datapackage.json").read_text())


def test_every_table_is_described_with_source_licence_citation_and_hash():
    package = _package()
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    for res in package["resources"]:
        data = (REAL_DATA_DIR / res["path"]).read_bytes()
        assert res["hash"] == sha256(data) and res["bytes"] == len(data), res["path"]
        assert [f["name"] for f in res["schema"]["fields"]] == [f.name for f in TABLES[res["name"]]]
        assert res["licenses"][0]["name"].startswith("GPL-2.0")
        source = SOURCES[res["name"]]
        assert source["r_version"] in res["sources"][0]["title"]
        assert source["debian_version"] in res["sources"][0]["title"]
        assert res["citation"] and res["schema"]["missingValues"] == [""]
        for f in res["schema"]["fields"]:
            assert f["type"] in {"integer", "number", "string"} and f["description"]


def test_tables_have_the_published_sizes(tables):
    # HSAUR3's BtheB: 100 patients; lme4's sleepstudy: 18 subjects x 10 days;
    # psychTools: 5378 state and 3032 trait administrations (their help pages)
    assert tables["btheb"].shape == (100, 9)
    assert tables["sleepstudy"].shape == (180, 3)
    assert tables["sleepstudy"]["subject"].nunique() == 18
    assert len(tables["sai"]) == 5378 and len(tables["tai"]) == 3032
    # missing-value markers survive: BtheB loses patients to follow-up
    assert tables["btheb"]["bdi_8m"].isna().sum() == 48
    assert tables["btheb"]["bdi_pre"].notna().all()


def test_rewriting_the_loaded_tables_gives_the_committed_bytes(tables, tmp_path):
    """The writer, the codebook and the committed files cannot drift apart."""
    write_real_data(tables, tmp_path)
    for name in ["datapackage.json", "README.md", *(f"{t}.csv" for t in TABLES)]:
        assert filecmp.cmp(tmp_path / name, REAL_DATA_DIR / name, shallow=False), name


def _r_sources_installed() -> str:
    if shutil.which("Rscript") is None or shutil.which("dpkg-query") is None:
        return "Rscript is not installed"
    for source in SOURCES.values():
        run = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", source["debian"]],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.stdout.strip() != source["debian_version"]:
            return f"Debian's {source['debian']} {source['debian_version']} is not installed"
    return ""


@pytest.mark.skipif(
    bool(_r_sources_installed()),
    reason="re-extraction needs R and the recorded Debian R packages (maintainers only): "
    + (_r_sources_installed() or "installed"),
)
def test_extraction_from_the_r_packages_reproduces_the_committed_files(tmp_path):
    from tools.real_data import extract_real_data

    extract_real_data(tmp_path)
    for name in ["datapackage.json", "README.md", *(f"{t}.csv" for t in TABLES)]:
        assert filecmp.cmp(tmp_path / name, REAL_DATA_DIR / name, shallow=False), name


def _copy(tmp_path):
    target = tmp_path / "real"
    shutil.copytree(REAL_DATA_DIR, target)
    return target


def test_an_edited_file_is_refused(tmp_path):
    target = _copy(tmp_path)
    path = target / "btheb.csv"
    path.write_bytes(path.read_bytes().replace(b"1,No,>6m,TAU,29,", b"1,No,>6m,TAU,28,", 1))
    with pytest.raises(DataValidationError, match="sha256"):
        load_real("btheb", target)


def test_a_value_outside_the_codebook_is_named_with_its_line(tmp_path):
    target = _copy(tmp_path)
    path = target / "btheb.csv"
    data = path.read_bytes().replace(b"1,No,>6m,TAU,29,", b"1,No,>6m,CBT,70,", 1)
    path.write_bytes(data)
    package = json.loads((target / "datapackage.json").read_text())
    package["resources"][0]["hash"] = sha256(data)
    (target / "datapackage.json").write_text(json.dumps(package))
    with pytest.raises(DataValidationError) as err:
        load_real("btheb", target)
    assert "line 2: treatment = 'CBT' is not one of ['TAU', 'BtheB']" in str(err.value)
    assert "line 2: bdi_pre = 70 is above the maximum 63" in str(err.value)


def test_load_real_bad_input(tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        load_real("BtheB")
    with pytest.raises(FileNotFoundError, match="make real-data"):
        load_real("btheb", tmp_path)
    target = _copy(tmp_path)
    (target / "sai.csv").unlink()
    with pytest.raises(FileNotFoundError, match="sai.csv is missing"):
        load_real("sai", target)


def test_btheb_long_is_the_handbooks_long_form(tables):
    long = btheb_long(tables["btheb"])
    # 280 observations of 97 subjects, as Figure 13.2 of Hothorn & Everitt prints
    assert len(long) == 280 and long["subject"].nunique() == 97
    assert long["treatment"].cat.categories.tolist() == ["TAU", "BtheB"]
    assert long["drug"].cat.categories.tolist() == ["No", "Yes"]
    assert long["length"].cat.categories.tolist() == ["<6m", ">6m"]
    patient2 = long[long["subject"] == 2].sort_values("time")
    assert patient2["time"].tolist() == [2, 3, 5, 8]
    assert patient2["bdi"].tolist() == [16, 24, 17, 20]  # the handbook's printed rows
    with pytest.raises(ValueError, match="lacks the columns"):
        btheb_long(tables["btheb"].drop(columns="bdi_5m"))


def test_stai_scores_reverse_the_anxiety_absent_items_and_prorate():
    items = list(STAI_KEYS["sai"]["items"])
    reversed_items = set(STAI_KEYS["sai"]["reversed"])
    assert len(items) == 20 and len(reversed_items) == 10
    most_anxious = {i: (1 if i in reversed_items else 4) for i in items}
    frame = pd.DataFrame([most_anxious, most_anxious, most_anxious])
    frame.loc[1, items[:3]] = np.nan  # three skipped: prorated
    frame.loc[2, items[:4]] = np.nan  # four skipped: no score
    assert stai_scores(frame, "sai").tolist()[:2] == [80.0, 80.0]
    assert np.isnan(stai_scores(frame, "sai").iloc[2])
    assert stai_scores(frame, "sai", min_items=16).iloc[2] == 80.0
    with pytest.raises(ValueError, match="scale must be"):
        stai_scores(frame, "bai")
    with pytest.raises(ValueError, match="min_items"):
        stai_scores(frame, "sai", min_items=0)
    with pytest.raises(ValueError, match="not in the table"):
        stai_scores(frame.drop(columns="calm"), "sai")


def test_the_scoring_keys_agree_with_the_data():
    """Keyed as psychTools keys them, every item correlates positively with the rest."""
    for scale in ("sai", "tai"):
        data = load_real(scale)
        key = STAI_KEYS[scale]
        keyed = data[list(key["items"])].astype("float64")
        keyed[list(key["reversed"])] = 5 - keyed[list(key["reversed"])]
        total = keyed.sum(axis=1, min_count=20)
        for item in key["items"]:
            assert keyed[item].corr(total - keyed[item]) > 0.1, (scale, item)


def test_anxiety_long_links_state_and_trait_for_repeated_persons():
    anxiety = anxiety_long()
    assert anxiety.groupby("person")["time"].size().min() >= 2
    assert not anxiety.duplicated(["person", "time"]).any()
    assert anxiety["state"].between(20, 80).all()
    assert anxiety["trait"].dropna().between(20, 80).all()
    # trait is a property of the person: constant within person
    assert (anxiety.groupby("person")["trait"].nunique(dropna=False) == 1).all()
    designs = anxiety.drop_duplicates("person")["design"].value_counts()
    assert set(designs.index) == {*STATE_DESIGNS, "other"}
    assert designs["two days, once a day"] == 650
    # study GRAY has no ids; HOME's duplicated participant is left out
    assert "GRAY" not in set(anxiety["study"])
    assert "HOME-23" not in set(anxiety["person"])
