"""The session-file reader: every malformed file gives a clear error or a clear report,
and no row is ever lost: rows read = rows kept + rows rejected."""

import io
import os
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from book.practice.scales import get_scale
from book.practice.session_file import (
    EXAMPLE_SESSION_FILE,
    PatientFile,
    SessionFile,
    SessionFileError,
    read_patients,
    read_sessions,
    scores_from_text,
)

HEADER = b"patient_id,session,score\n"


def _accounting_holds(result: SessionFile | PatientFile, content: bytes | None = None):
    kept = result.sessions if isinstance(result, SessionFile) else result.patients
    assert result.rows_read == result.rows_kept + result.rows_rejected
    assert result.rows_kept == len(kept)
    assert result.rows_rejected == len(result.rejected)
    lines = set(kept["line"]) | set(result.rejected["line"])
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
        {3: "a quote opens a value on this line and does not close (an unclosed quote?)"},
    ),
    "a 200,000-digit score": (
        HEADER + b"A,1,4\nA,2," + b"9" * 200_000 + b"\n",
        {3: "score '" + "9" * 39 + "\u2026' is too large to be a score"},
    ),
    "a quoted value over the csv field limit": (
        HEADER + b'A,1,4\nA,2,"' + b"9" * 200_000 + b'"\nA,3,4\n',
        {3: "cannot be read as CSV: field larger than field limit"},
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
    _accounting_holds(result, content)
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
    assert result.gaps.values.tolist() == [["A", 2, 2]]
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
    assert result.gaps.values.tolist() == [["C", 7, 7]]
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

cells = st.sampled_from(
    ["A", "B", "1", "2", "3", "12", "4.5", "3", "x", "", "-", "NA", "1e9", '"', " ", "40"]
)
HEADERS = {
    "patient_id,session,score": "wai-sr",
    "session,score": "wai-sr",
    "id,session,alliance,x": "wai-sr",
    "patient_id,session,alliance,bdi,notes": {"alliance": "wai-sr", "bdi": "bdi-ii"},
    "": "wai-sr",
}


@st.composite
def messy_files(draw):
    header = draw(st.sampled_from(sorted(HEADERS)))
    rows = draw(
        st.lists(
            st.lists(cells, min_size=0, max_size=6).map(lambda fields: ",".join(fields)),
            max_size=8,
        )
    )
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return header, (ending.join([header, *rows]) + ending).encode()


@pytest.mark.slow
@settings(derandomize=True, max_examples=400, deadline=None)
@given(case=messy_files())
def test_any_file_gives_a_report_with_full_accounting_or_a_clear_error(case):
    header, content = case
    try:
        result = read_sessions(content, scale=HEADERS[header])
    except SessionFileError as err:
        assert str(err)[0].islower() or str(err)[0] == "<"  # one of the reader's own sentences
        return
    _accounting_holds(result, content if b'"' not in content else None)
    assert result.sessions["session"].ge(1).all()
    for column, scale in result.scales.items():
        values = result.sessions[column].dropna()
        assert values.between(scale.minimum, scale.maximum).all()
    assert not result.sessions.duplicated(["patient_id", "session"]).any()
    if b'"' in content:  # a row whose quoted value runs over lines counts once
        text = content.decode().replace("\r\n", "\n")
        body = [ln for ln in text.split("\n")[1:] if ln.replace(",", "").strip()]
        assert result.rows_read <= len(body)


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
    typed = scores_from_text("4.2, 4.5;abc\n? 3.9  4, 0")
    # "4, 0" is two entries: a comma and a space separate scores, so 0 is off the scale
    assert typed.sessions["session"].tolist() == [1, 2, 4, 5, 6]
    assert np.isnan(typed.sessions.loc[2, "alliance"])  # '?' is a missing questionnaire
    assert typed.rejected[["line", "reason"]].values.tolist() == [
        [3, "score 'abc' is not a number"],
        [7, "score 0 is outside the wai-sr range 1-5"],
    ]
    assert typed.rows_read == 7 and typed.unit == "entry"
    assert re.search(r"entry 3: score 'abc' is not a number", typed.report())
    assert scores_from_text("   ").rows_read == 0


# --------------------------------------------------------------------------
# issue 20: inputs that were misread, crashed, hung or exhausted memory


def test_a_decimal_comma_before_an_unused_column_is_rejected_not_misread():
    # "3,5" meant 3.5: the 5 lands in the unused notes column and the score would read 3
    content = b"patient_id,session,score,notes\nA,1,3,5\nA,2,4.25,\nA,3,4,ok\nA,4,4,12 min late\n"
    result = read_sessions(content)
    assert result.rejected[["line", "reason"]].values.tolist() == [
        [2, "possible decimal comma: 3,5 (write 3.5, not 3,5)"]
    ]
    assert result.sessions["session"].tolist() == [2, 3, 4]
    assert any("possible decimal commas" in note for note in result.notes)
    _accounting_holds(result, content)


def test_a_numeric_column_of_its_own_after_the_score_is_not_a_decimal_comma():
    # 4.25 followed by 23 shows that the column after the score holds numbers of its own
    content = b"patient_id,session,score,bdi\nA,1,4.25,23\nA,2,4,20\n"
    result = read_sessions(content)
    assert result.rows_rejected == 0
    assert result.sessions["alliance"].tolist() == [4.25, 4.0]


def test_a_decimal_comma_with_semicolons_gets_the_hint_to_pass_decimal():
    result = read_sessions(b"patient_id;session;score\nA;1;4,5\nA;2;4\n", delimiter=";")
    assert result.rejected["reason"].tolist() == [
        "score '4,5' is not a number (a decimal comma? read the file with decimal=',')"
    ]


def test_twenty_digit_and_other_numeric_ids_are_read_and_sorted_as_numbers():
    big, bigger = b"12345678901234567890", b"98765432109876543210"
    content = HEADER + bigger + b",1,4\n" + big + b",2,4\n" + big + b",1,3.5\n9,1,4\n-3,1,4\n"
    result = read_sessions(content)
    assert result.rows_kept == 5
    assert result.sessions["patient_id"].tolist() == [
        "-3",
        "9",
        big.decode(),
        big.decode(),
        bigger.decode(),
    ]
    assert result.sessions["session"].tolist() == [1, 1, 1, 2, 1]


def test_any_text_a_file_can_hold_is_an_id():
    rows = "NA,1,4\nnull,1,4\n\u00e9l\u00e8ve 7,1,4\n0x1F,1,4\n1e3,1,4\n"
    result = read_sessions(("patient_id,session,score\n" + rows).encode())
    assert sorted(result.sessions["patient_id"]) == sorted(
        ["NA", "null", "\u00e9l\u00e8ve 7", "0x1F", "1e3"]
    )


def test_gaps_are_ranges_so_a_huge_session_number_costs_nothing():
    result = read_sessions(
        HEADER + b"A,1,4\nA,1000000000,4\nB,2,4\nB,5,4\nB,7,4\n", max_session=10**9
    )
    assert result.gaps.values.tolist() == [["A", 2, 999_999_999], ["B", 3, 4], ["B", 6, 6]]
    assert "patient A: session(s) 2-999999999" in result.report()
    assert "patient B: session(s) 3-4, 6" in result.report()


def _finishes(fn, seconds=20.0):
    """Run ``fn`` in a thread; its outcome (value or exception), or a failure if it hangs."""
    import threading

    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as err:  # handed to the test
            box["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still reading after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_a_device_is_refused_before_reading_it():
    with pytest.raises(SessionFileError, match="not a regular file"):
        _finishes(lambda: read_sessions("/dev/zero"))
    with open("/dev/zero", "rb") as endless:
        with pytest.raises(SessionFileError, match="not a regular file"):
            _finishes(lambda: read_sessions(endless))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_a_named_pipe_is_refused_without_hanging(tmp_path):
    pipe = tmp_path / "scores.csv"
    os.mkfifo(pipe)
    with pytest.raises(SessionFileError, match="not a regular file"):
        _finishes(lambda: read_sessions(pipe))


def test_truncated_utf16_says_so():
    content = "patient_id,session,score\nA,1,4.5\n".encode("utf-16")[:-1]
    with pytest.raises(SessionFileError, match=r"UTF-16 .*cut short"):
        read_sessions(content)


def test_csv_text_passed_as_a_file_name_gets_the_hint():
    text = "patient_id,session,score\n" + "A,1,4\n" * 200
    with pytest.raises(SessionFileError, match=r"io\.StringIO\(text\)"):
        read_sessions(text)
    with pytest.raises(SessionFileError, match=r"io\.StringIO\(text\)"):
        read_sessions("x" * 5000)  # no line break, but far too long for a file name


def test_a_header_with_a_trailing_comma_reads_every_row():
    content = b"patient_id,session,score,\nA,1,4\nA,2,4.5,\nA,3,3.5\n"
    result = read_sessions(content)
    assert (result.rows_read, result.rows_kept) == (3, 3)
    assert any("no name" in note for note in result.notes)


def test_an_unclosed_quote_rejects_its_line_and_the_later_lines_are_read():
    content = HEADER + b'A,1,4\n"B,1,4\nB,2,4\nB,3,4\n'
    result = read_sessions(content)
    assert result.rows_read == 4  # every line after the header is a row
    assert result.rejected[["line", "reason"]].values.tolist() == [
        [3, "a quote opens a value on this line and does not close (an unclosed quote?)"]
    ]
    assert result.sessions[["patient_id", "session"]].values.tolist() == [
        ["A", 1],
        ["B", 2],
        ["B", 3],
    ]
    _accounting_holds(result, content)


def test_an_unclosed_quote_in_a_notes_column_does_not_swallow_later_rows():
    content = b'patient_id,session,score,notes\nA,1,4,"call back\nA,2,4,\nA,3,3.9,\n'
    result = read_sessions(content)
    assert result.rejected["line"].tolist() == [2]
    assert result.sessions["session"].tolist() == [2, 3]
    _accounting_holds(result, content)


def test_a_quoted_note_over_two_lines_is_one_row():
    content = b'patient_id,session,score,notes\nA,1,4,"first line\nsecond line"\nA,2,4.5,\n'
    result = read_sessions(content)
    assert (result.rows_read, result.rows_rejected) == (2, 0)
    assert result.sessions["line"].tolist() == [2, 4]


def test_typed_decimal_commas_are_refused():
    for typed in ("4,5 3,5", "4.2,4.5"):
        with pytest.raises(SessionFileError, match=r"write 4\.5, not 4,5"):
            scores_from_text(typed)
    assert scores_from_text("4.2, 4.5,NA ,3").sessions["session"].tolist() == [1, 2, 3, 4]


# --------------------------------------------------------------------------
# several measures in one file: the alliance and the symptoms of each session

BOTH = {"alliance": "wai-sr", "bdi": "bdi-ii"}


def test_several_measures_are_read_into_one_tidy_table():
    content = (
        b"Patient ID,Session,BDI,Alliance,notes\n"
        b"P1,1,28,3.9,\nP1,2,25,4.1,\nP1,3,,4.2,missed BDI\nP2,1,31,NA,\n"
        b"P2,2,12.5,4.0,\nP2,3,70,4.0,\nP2,4,20,6,\nP2,5,19,4.4,\n"
    )
    result = read_sessions(content, scale=BOTH)
    assert list(result.sessions.columns) == ["patient_id", "session", "alliance", "bdi", "line"]
    assert result.sessions[["patient_id", "session"]].values.tolist() == [
        ["P1", 1],
        ["P1", 2],
        ["P1", 3],
        ["P2", 1],
        ["P2", 5],
    ]
    assert result.sessions["bdi"].tolist()[:2] == [28.0, 25.0]
    assert np.isnan(result.sessions.loc[2, "bdi"]) and np.isnan(result.sessions.loc[3, "alliance"])
    assert result.rejected[["line", "reason"]].values.tolist() == [
        [6, "BDI 12.5 is not a whole number: bdi-ii scores are whole points"],
        [7, "BDI 70 is outside the bdi-ii range 0-63"],
        [8, "Alliance 6 is outside the wai-sr range 1-5"],
    ]
    assert result.scales == {"alliance": get_scale("wai-sr"), "bdi": get_scale("bdi-ii")}
    assert result.gaps.values.tolist() == [["P2", 2, 4]]
    assert repr(result).endswith("(alliance: wai-sr, bdi: bdi-ii)>")
    notes = " | ".join(result.notes)
    assert "1 session(s) without a score for bdi (line(s) 4)" in notes
    assert "1 session(s) without a score for alliance (line(s) 5)" in notes
    _accounting_holds(result, content)


def test_several_measures_need_each_column_and_sensible_names():
    with pytest.raises(SessionFileError, match=r"no 'bdi' column"):
        read_sessions(HEADER + b"A,1,4\n", scale={"score": "wai-sr", "bdi": "bdi-ii"})
    with pytest.raises(ValueError, match=r"'session' is the session number"):
        read_sessions(HEADER, scale={"session": "wai-sr"})
    with pytest.raises(ValueError, match="at least one"):
        read_sessions(HEADER, scale={})
    with pytest.raises(ValueError, match="unknown scale 'phq'"):
        read_sessions(HEADER, scale={"score": "phq"})


def test_duplicates_compare_every_measure():
    content = b"patient_id,session,alliance,bdi\nA,1,4,20\nA,1,4,20\nA,2,4,20\nA,2,4,21\n"
    result = read_sessions(content, scale=BOTH)
    reasons = dict(zip(result.rejected["line"], result.rejected["reason"], strict=True))
    assert reasons[3].startswith("repeats line 2")
    assert reasons[4].startswith("patient A session 2 appears on lines 4, 5 with different")
    assert 5 in reasons and result.rows_kept == 1


def test_the_one_measure_form_reads_a_symptom_scale_into_its_own_column():
    result = read_sessions(b"patient_id,session,bdi\nA,1,30\nA,2,28\n", scale="bdi-ii")
    assert list(result.sessions.columns) == ["patient_id", "session", "bdi", "line"]


def test_any_id_the_reader_keeps_goes_through_every_rupture_rule():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from book.practice.ruptures import RULES, detect, plot_alerts

    ids = ["12345678901234567890", "NA", "\u00e9l\u00e8ve 7", "-3", "007"]
    scores = [4.2, 4.3, 4.1, 4.2, 2.5, 4.2]
    rows = "".join(f"{p},{s},{x}\n" for p in ids for s, x in enumerate(scores, start=1))
    result = read_sessions(("patient_id,session,score\n" + rows).encode())
    assert result.rows_kept == len(ids) * len(scores)
    for rule in RULES:
        alerts = detect(result.sessions, rule)
        assert sorted(alerts["patient_id"].unique()) == sorted(ids)
        assert alerts.groupby("patient_id")["alert"].sum().eq(1).all()  # the drop to 2.5
    one = detect(result.sessions, "reliable-drop")
    fig, ax = plt.subplots()
    plot_alerts(one[one["patient_id"] == ids[0]], ax=ax)
    plt.close(fig)


def test_rows_that_leave_out_a_trailing_unnamed_column_are_read_at_full_speed():
    content = (
        b"patient_id,session,score,\n"
        + b"".join(f"P{i // 12},{i % 12 + 1},4.25\n".encode() for i in range(120))
        + b"P99,1,4,5\nP99,2,4.5,,\n"
    )
    result = read_sessions(content)
    assert (result.rows_read, result.rows_kept) == (122, 121)
    assert result.rejected["reason"].tolist() == [
        "possible decimal comma: 4,5 (write 4.5, not 4,5)"
    ]
    _accounting_holds(result, content)


def test_a_repeat_names_the_earlier_line_whatever_the_rows_shapes():
    # line 2 has trailing empty values (read apart from the usual rows), line 3 repeats it
    result = read_sessions(HEADER + b"A,1,4,,\nA,1,4\nA,2,4\n")
    assert result.rejected[["line", "reason"]].values.tolist() == [
        [3, "repeats line 2 (same patient, session and score)"]
    ]
    assert result.sessions["line"].tolist() == [2, 4]


# --------------------------------------------------------------------------
# the patient table: one row per patient, the same checks and the same account


def test_a_patient_table_is_checked_row_by_row_and_accounted_for():
    content = (
        b"patient_id,iip,notes\r\n"
        b"A,1.25,first\r\n"
        b"B,,no IIP\r\n"
        b",,\r\n"
        b"C,4.5,typo\r\n"
        b"D,2,x\r\n"
        b"D,2.5,y\r\n"
        b"E,0.5,\r\n"
        b"A,1.25,again\r\n"
    )
    result = read_patients(content)
    _accounting_holds(result)
    assert result.rows_read == 7  # the row of separators only is a blank line
    assert result.patients["patient_id"].tolist() == ["A", "B", "E"]
    assert np.isnan(result.patients.set_index("patient_id").loc["B", "iip"])
    reasons = dict(zip(result.rejected["line"], result.rejected["reason"], strict=True))
    assert reasons == {
        5: "iip 4.5 is outside the iip-32 range 0-4",
        6: "patient D appears on lines 6, 7 with different scores; keep the right one",
        7: "patient D appears on lines 6, 7 with different scores; keep the right one",
        9: "repeats line 2 (same patient and score)",
    }
    report = result.report()
    assert "column(s) 'notes' are not used" in report
    assert "blank line(s) 4 were skipped" in report
    assert "1 patient(s) without a score (line(s) 3)" in report
    assert "Gaps" not in report


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"patient_id,session,iip\nA,1,2\n", r"has a session column \('session'\): this looks"),
        (b"name,iip\nA,2\n", r"no 'patient_id' column.*'patient_id,iip'"),
        (b"patient_id,avoidance\nA,2\n", r"no 'iip' column\. .*'patient_id,iip' and one row"),
        (b"patient_id,iip\n", r"has a header \(line 1\) but no data rows\. .*one row per patient"),
    ],
)
def test_a_file_that_is_no_patient_table_gets_a_clear_error(content, message):
    with pytest.raises(SessionFileError, match=message):
        read_patients(content)


def test_a_patient_table_takes_the_readers_options_and_other_scales():
    result = read_patients(
        b"patient_id;iip;bdi_intake\n7;1,5;30\n12;0,75;12,5\n",
        delimiter=";",
        decimal=",",
        scale={"iip": "iip-32", "bdi_intake": "bdi-ii"},
    )
    assert result.patients[["patient_id", "iip"]].values.tolist() == [["7", 1.5]]
    assert result.rejected["reason"].tolist() == [
        "bdi_intake 12.5 is not a whole number: bdi-ii scores are whole points"
    ]
    one = read_patients(b"patient_id,iip\n1,2.5\n", scale="iip-32")
    assert repr(one) == "<PatientFile <bytes>: 1 rows read, 1 kept, 0 rejected (iip: iip-32)>"
    with pytest.raises(ValueError, match="is the session number, not a measure"):
        read_patients(b"patient_id,iip\n1,2\n", scale={"session": "iip-32"})


def test_a_patient_tables_line_numbers_count_every_line_of_the_file():
    """A byte-order mark, a quoted note over two lines and an unclosed quote: each rejected
    row names the line it begins on, and the rows after it are still read."""
    content = (
        b"\xef\xbb\xbfPatient ID,IIP,notes\r\n"
        b'A,1.5,"a note\r\nover two lines"\r\n'
        b"B,x1,\r\n"
        b"C,-0.5,\r\n"
        b'"D,2,\r\n'
        b"E,1,\r\n"
    )
    result = read_patients(content)
    _accounting_holds(result)
    assert result.patients[["patient_id", "line"]].values.tolist() == [["A", 2], ["E", 7]]
    assert result.rejected[["line", "reason"]].values.tolist() == [
        [4, "IIP 'x1' is not a number"],
        [5, "IIP -0.5 is outside the iip-32 range 0-4"],
        [6, "a quote opens a value on this line and does not close (an unclosed quote?)"],
    ]
    assert "a UTF-8 byte-order mark at the start of the file was removed" in result.report()


def test_bad_arguments_to_the_patient_reader():
    table = b"patient_id,iip\nA,1\n"
    with pytest.raises(ValueError, match="delimiter and decimal must differ"):
        read_patients(table, delimiter=";", decimal=";")
    with pytest.raises(ValueError, match="delimiter must be a single character"):
        read_patients(table, delimiter="ab")
    with pytest.raises(ValueError, match="unknown scale 'phq'"):
        read_patients(table, scale={"iip": "phq"})
    with pytest.raises(ValueError, match="unknown encoding 'nope'"):
        read_patients(table, encoding="nope")
    with pytest.raises(SessionFileError, match="is empty"):
        read_patients(b"  \n")


PATIENT_HEADERS = ["patient_id,iip", "id,iip,notes", "patient_id,IIP,bdi"]


@st.composite
def messy_patient_tables(draw):
    header = draw(st.sampled_from(PATIENT_HEADERS))
    rows = draw(
        st.lists(
            st.lists(cells, min_size=0, max_size=4).map(lambda fields: ",".join(fields)),
            max_size=8,
        )
    )
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return (ending.join([header, *rows]) + ending).encode()


@pytest.mark.slow
@settings(derandomize=True, max_examples=300, deadline=None)
@given(content=messy_patient_tables())
def test_any_patient_table_gives_full_accounting_or_a_clear_error(content):
    try:
        result = read_patients(content)
    except SessionFileError as err:
        assert str(err)[0].islower() or str(err)[0] == "<"  # one of the reader's own sentences
        return
    _accounting_holds(result, content if b'"' not in content else None)
    assert not result.patients["patient_id"].duplicated().any()  # one row per patient
    assert result.patients["iip"].dropna().between(0, 4).all()
    assert "session" not in result.patients.columns
