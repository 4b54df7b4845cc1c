"""The session-file reader: every malformed file gives a clear error or a clear report,
and no row is ever lost: rows read = rows kept + rows rejected."""

import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from book.practice.session_file import (
    EXAMPLE_SESSION_FILE,
    SessionFile,
    SessionFileError,
    read_sessions,
    scores_from_text,
)

HEADER = b"patient_id,session,score\n"


def _accounting_holds(result: SessionFile, content: bytes | None = None):
    assert result.rows_read == result.rows_kept + result.rows_rejected
    assert result.rows_kept == len(result.sessions)
    assert result.rows_rejected == len(result.rejected)
    lines = set(result.sessions["line"]) | set(result.rejected["line"])
    assert len(lines) == result.rows_read  # every row accounted for exactly once
    if content is not None:
        # independently: the non-blank lines after the header (single-line rows)
        text = content.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
        body = [ln for ln in text.split("\n")[1:] if ln.replace(",", "").strip()]
        assert result.rows_read == len(body)


# --------------------------------------------------------------------------
# files that cannot be read at all: a clear error, never a pandas traceback

BAD_FILES = {
    "empty file": (b"", r"is empty\. The expected format is a comma-separated file"),
    "only blank lines": (b"\n \n\r\n", r"is empty"),
    "only separators": (b",,\n,,,\n", r"no values, only separators"),
    "header only": (HEADER, r"has a header \(line 1\) but no data rows"),
    "header and blank lines": (HEADER + b"\n\n", r"but no data rows"),
    "semicolon-separated": (
        b"patient_id;session;score\nA;1;4,5\n",
        r"looks semicolon-separated\. Read it with delimiter=';' \(and decimal=','",
    ),
    "tab-separated": (b"patient_id\tsession\tscore\nA\t1\t4.5\n", r"looks tab-separated"),
    "no score column": (
        b"patient_id,session,rating\nA,1,4\n",
        r"has columns 'patient_id', 'session', 'rating' but no 'score' \(or 'alliance'\) column",
    ),
    "no session column": (b"patient,visit,score\nA,1,4\n", r"but no 'session' column"),
    "two score columns": (
        b"session,score,alliance\n1,4,4\n",
        r"columns 'score' and 'alliance' could both be the score",
    ),
    "repeated column": (b"session,score,note,note\n1,4,a,b\n", r"repeats column\(s\) \['note'\]"),
    "excel workbook": (b"PK\x03\x04\x14\x00\x06\x00rest of a zip", r"Excel workbook \(\.xlsx\)"),
    "old excel workbook": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", r"old Excel workbook \(\.xls\)"),
    "latin-1 bytes": (
        HEADER + "Jos\xe9,1,4.5\n".encode("latin-1"),
        r"line 2 has bytes that are not valid utf-8 \(byte 0xe9\).*encoding='cp1252'",
    ),
    "NUL byte": (HEADER + b"A,1,4\x00.5\n", r"line 2 contains a NUL byte"),
    "a field over the csv limit": (
        HEADER + b"A,1,4\nA,2," + b"9" * 200_000 + b"\n",
        r"line 3 cannot be read as CSV: field larger than field limit",
    ),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_unreadable_files_raise_a_clear_error(content, message):
    with pytest.raises(SessionFileError, match=message):
        read_sessions(content)


def test_a_semicolon_file_reads_with_the_delimiter_the_error_suggests():
    content = b"patient_id;session;score\nA;1;4,5\nA;2;3,75\nA;3;4.5\n"
    result = read_sessions(content, delimiter=";", decimal=",")
    assert result.sessions["alliance"].tolist() == [4.5, 3.75]
    assert result.rejected["reason"].tolist() == [
        "score '4.5' has a '.', but the decimal mark is ','"
    ]
    _accounting_holds(result)


# --------------------------------------------------------------------------
# files with bad rows: the good rows kept, every bad one reported with its line

BAD_ROWS = {
    "text in a numeric column": (
        HEADER + b"A,1,4.5\nA,2,four\nA,three,4\n",
        {3: "score 'four' is not a number", 4: "session 'three' is not a number"},
    ),
    "huge values": (
        HEADER + b"A,1,1e400\nA,2,100000\nA,99999999999999999999,4\nA,4,4.5\n",
        {
            2: "score '1e400' is too large to be a score",
            3: "score 100000 is outside the wai-sr range 1-5",
            4: "session 99999999999999999999 is above the plausible maximum 200",
        },
    ),
    "out of range and impossible sessions": (
        HEADER + b"A,0,4\nA,-2,4\nA,2.5,4\nA,3,0.5\nA,4,5.01\nA,5,inf\nA,6,4\n",
        {
            2: "session 0 is not allowed: sessions are numbered from 1",
            3: "session -2 is not allowed",
            4: "session '2.5' is not a whole number",
            5: "score 0.5 is outside the wai-sr range 1-5",
            6: "score 5.01 is outside",
            7: "score 'inf' is not a number",
        },
    ),
    "ragged rows": (
        HEADER + b"A,1,4,5\nA,2\nA,3,4.5,,\nA,4,3.5\n",
        {
            2: "has 4 values but the header has 3 (a comma inside a value",
            3: "has 2 values but the header has 3",
        },
    ),
    "empty patient or session": (
        HEADER + b",1,4\nA,,4\nA,3,4\n",
        {2: "patient_id is empty", 3: "session is empty"},
    ),
    "several problems in one row": (
        HEADER + b"A,x,9\nA,2,4\n",
        {2: "session 'x' is not a number; score 9 is outside the wai-sr range 1-5"},
    ),
    "exact and conflicting duplicates": (
        HEADER + b"A,1,4.5\nA,1,4.5\nA,2,4\nA,2,3\nA,3,4\n",
        {
            3: "repeats line 2 (same patient, session and score)",
            4: "patient A session 2 appears on lines 4, 5 with different scores",
            5: "patient A session 2 appears on lines 4, 5 with different scores",
        },
    ),
    "unclosed quote": (
        HEADER + b'A,1,4\n"B,1,4\nB,2,4\n',
        {3: "a quoted value runs over lines 3-4 (an unclosed quote?)"},
    ),
}


@pytest.mark.parametrize("content, expected", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_bad_rows_are_reported_with_line_and_reason(content, expected):
    result = read_sessions(content)
    got = dict(zip(result.rejected["line"], result.rejected["reason"], strict=True))
    assert sorted(got) == sorted(expected)
    for line, reason in expected.items():
        assert got[line].startswith(reason), (line, got[line])
    # the report shows the text of each rejected row as written in the file
    lines = content.decode().split("\n")
    for row in result.rejected.itertuples():
        assert row.text.split("\n")[0] == lines[row.line - 1]
    if "unclosed" not in result.rejected["reason"].str.cat():
        _accounting_holds(result, content)
    else:
        _accounting_holds(result)
    for line, reason in expected.items():
        assert f"line {line}: {reason}" in result.report()


def test_a_byte_order_mark_is_removed_and_noted():
    result = read_sessions(b"\xef\xbb\xbf" + HEADER + b"A,1,4.5\n")
    assert result.sessions.columns.tolist() == ["patient_id", "session", "alliance", "line"]
    assert any("byte-order mark" in note for note in result.notes)
    text = read_sessions(io.StringIO("\ufeff" + HEADER.decode() + "A,1,4.5\n"))
    assert text.rows_kept == 1 and any("byte-order mark" in note for note in text.notes)


def test_utf16_with_a_byte_order_mark_is_decoded():
    result = read_sessions("patient_id,session,score\nA,1,4.5\n".encode("utf-16"))
    assert result.sessions["alliance"].tolist() == [4.5]


def test_windows_line_endings_blank_lines_extra_columns_and_missing_scores():
    content = (
        b"\r\nPatient ID,Session,Alliance,Notes\r\nA,1,4.5,ok\r\n\r\n"
        b"A,3,,missed questionnaire\r\nB,2,-,\r\nB,1,NA,\r\n"
    )
    result = read_sessions(content)
    assert result.rows_read == 4 and result.rows_rejected == 0
    assert result.sessions[["patient_id", "session"]].values.tolist() == [
        ["A", 1],
        ["A", 3],
        ["B", 1],
        ["B", 2],
    ]
    assert result.sessions["alliance"].isna().tolist() == [False, True, True, True]
    assert result.gaps.values.tolist() == [["A", 2]]
    notes = " | ".join(result.notes)
    for expected in (
        "blank line(s) 1 before the header",
        "column(s) 'Notes' are not used",
        "blank line(s) 4 were skipped",
        "rows were not in patient and session order",
        "3 session(s) without a score",
    ):
        assert expected in notes


def test_without_a_patient_column_all_rows_are_one_patient():
    result = read_sessions(b"session,score\n2,4\n1,3.5\n")
    assert result.sessions["patient_id"].unique().tolist() == ["1"]
    assert result.sessions["session"].tolist() == [1, 2]


def test_numeric_patient_ids_sort_as_numbers():
    result = read_sessions(HEADER + b"10,1,4\n2,1,4\n1,1,4\n")
    assert result.sessions["patient_id"].tolist() == ["1", "2", "10"]


def test_paths_buffers_and_bytes_give_the_same_rows(tmp_path):
    content = EXAMPLE_SESSION_FILE.read_bytes()
    path = tmp_path / "mine.csv"
    path.write_bytes(content)
    results = [
        read_sessions(EXAMPLE_SESSION_FILE),
        read_sessions(str(path)),
        read_sessions(content),
        read_sessions(io.BytesIO(content)),
        read_sessions(io.StringIO(content.decode())),
    ]
    for other in results[1:]:
        assert other.sessions.equals(results[0].sessions)
    assert results[1].source == "mine.csv"
    with pytest.raises(FileNotFoundError, match="no file at .*io.StringIO"):
        read_sessions(tmp_path / "absent.csv")
    with pytest.raises(SessionFileError, match="is a folder"):
        read_sessions(tmp_path)
    with pytest.raises(TypeError, match="source must be a path, bytes or an open file"):
        read_sessions(42)


def test_the_example_file_reads_cleanly_with_its_documented_patterns():
    result = read_sessions(EXAMPLE_SESSION_FILE)
    assert (result.rows_read, result.rows_kept, result.rows_rejected) == (35, 35, 0)
    assert result.sessions["patient_id"].unique().tolist() == ["A", "B", "C"]
    assert result.gaps.values.tolist() == [["C", 7]]
    missing = result.sessions[result.sessions["alliance"].isna()]
    assert missing[["patient_id", "session"]].values.tolist() == [["C", 4]]
    _accounting_holds(result, EXAMPLE_SESSION_FILE.read_bytes())


def test_the_scale_decides_the_range():
    content = HEADER + b"A,1,38\nA,2,4.5\n"
    srs = read_sessions(content, scale="srs")
    assert srs.rows_kept == 2
    wai = read_sessions(content)
    assert wai.rejected["reason"].tolist() == ["score 38 is outside the wai-sr range 1-5"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="delimiter and decimal must differ"):
        read_sessions(HEADER, delimiter=",", decimal=",")
    with pytest.raises(ValueError, match="delimiter must be a single character"):
        read_sessions(HEADER, delimiter=", ")
    with pytest.raises(ValueError, match="unknown scale 'phq'"):
        read_sessions(HEADER, scale="phq")
    with pytest.raises(ValueError, match="max_session must be a positive whole number"):
        read_sessions(HEADER, max_session=0)


# --------------------------------------------------------------------------
# any text at all: a SessionFile whose accounting holds, or a SessionFileError

cells = st.sampled_from(["A", "B", "1", "2", "3", "12", "4.5", "3", "x", "", "-", "NA", "1e9", '"'])


@st.composite
def messy_files(draw):
    header = draw(
        st.sampled_from(["patient_id,session,score", "session,score", "id,session,alliance,x", ""])
    )
    rows = draw(
        st.lists(
            st.lists(cells, min_size=0, max_size=5).map(lambda fields: ",".join(fields)),
            max_size=8,
        )
    )
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return (ending.join([header, *rows]) + ending).encode()


@pytest.mark.slow
@settings(derandomize=True, max_examples=300, deadline=None)
@given(content=messy_files())
def test_any_file_gives_a_report_with_full_accounting_or_a_clear_error(content):
    try:
        result = read_sessions(content)
    except SessionFileError as err:
        assert str(err)[0].islower() or str(err)[0] == "<"  # one of the reader's own sentences
        return
    _accounting_holds(result)
    assert result.sessions["session"].ge(1).all()
    values = result.sessions["alliance"].dropna()
    assert values.between(1, 5).all()
    assert not result.sessions.duplicated(["patient_id", "session"]).any()


@settings(derandomize=True, max_examples=200, deadline=None)
@given(content=st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_but_a_session_file_error(content):
    try:
        result = read_sessions(content)
    except SessionFileError:
        return
    _accounting_holds(result)


# --------------------------------------------------------------------------
# typed scores (the monitor's text box)


def test_typed_scores_keep_positions_and_report_bad_entries():
    typed = scores_from_text("4.2, 4.5;abc\n? 3.9  4,0")
    # "4,0" is two entries: a comma separates scores, so 0 is rejected as off the scale
    assert typed.sessions["session"].tolist() == [1, 2, 4, 5, 6]
    assert np.isnan(typed.sessions.loc[2, "alliance"])  # '?' is a missing questionnaire
    assert typed.rejected[["line", "reason"]].values.tolist() == [
        [3, "score 'abc' is not a number"],
        [7, "score 0 is outside the wai-sr range 1-5"],
    ]
    assert typed.rows_read == 7 and typed.unit == "entry"
    assert re.search(r"entry 3: score 'abc' is not a number", typed.report())
    assert scores_from_text("   ").rows_read == 0
