"""The session monitor, driven headlessly as a reader would drive it: set a control, check
what the widget computed and drew."""

import datetime
import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from book.practice.ruptures import detect
from book.practice.session_file import EXAMPLE_SESSION_FILE, read_sessions
from book.widgets import LIVE_HINT
from book.widgets.session_monitor import (
    DEFAULT_SCORES,
    MAX_UPLOAD_BYTES,
    TRY_THIS,
    SessionMonitor,
    session_monitor_explorer,
)


@pytest.fixture
def monitor():
    return SessionMonitor()


def _plotted_scores(monitor):
    ax = monitor.figure.axes[0]
    line = next(ln for ln in ax.lines if ln.get_label() == "score")
    return np.asarray(line.get_ydata(), dtype=float)


def _plotted_alerts(monitor):
    ax = monitor.figure.axes[0]
    line = next(ln for ln in ax.lines if ln.get_label() == "alert")
    return np.asarray(line.get_xdata(), dtype=float).tolist()


def test_defaults_show_the_example_rupture(monitor):
    expected = [float(x) for x in DEFAULT_SCORES.split()]
    np.testing.assert_allclose(_plotted_scores(monitor), expected)
    assert monitor.alert_sessions == [6]
    assert _plotted_alerts(monitor) == [6.0]
    assert monitor.message == ""
    assert bytes(monitor.image.value).startswith(b"\x89PNG")
    assert "more than the reliable change 0.53" in monitor.alert_list.value


def test_the_alerts_are_those_of_the_package_rule(monitor):
    direct = detect(monitor.data, "reliable-drop")
    assert monitor.alerts["alert"].tolist() == direct["alert"].tolist()


def test_typing_new_scores_changes_data_alerts_and_picture(monitor):
    before = bytes(monitor.image.value)
    monitor.text.value = "4.0 4.1 4.0 4.2 2.9 3.5 4.0"
    np.testing.assert_allclose(_plotted_scores(monitor), [4.0, 4.1, 4.0, 4.2, 2.9, 3.5, 4.0])
    assert monitor.alert_sessions == [5]
    assert bytes(monitor.image.value) != before


def test_choosing_a_rule_resets_its_threshold_and_changes_the_alerts(monitor):
    monitor.text.value = "4.0 4.2 3.8 4.0 3.7 2.9"
    assert monitor.alert_sessions == [6]
    monitor.rule.value = "cutoff"
    assert monitor.threshold.description == "cut-off"
    assert monitor.threshold.value == pytest.approx(3.0)
    assert monitor.alert_sessions == [6]
    monitor.threshold.value = 3.8
    assert monitor.alert_sessions == [5, 6]
    monitor.rule.value = "own-mean"
    assert (monitor.threshold.description, monitor.threshold.value) == ("k (SD)", 1.0)
    assert monitor.alert_sessions == [5, 6]  # 3.7 is 1.8 SD below the earlier mean
    monitor.threshold.value = 2.0
    assert monitor.alert_sessions == [6]


def test_lowering_the_reliable_change_adds_alerts(monitor):
    monitor.threshold.value = 0.25  # z = 0.25: a drop of 0.07 points counts as reliable
    assert monitor.alert_sessions == [4, 6, 11]  # the 0.08-point dips now alert too
    assert monitor.alerts["setting"].iloc[0].startswith("z = 0.25")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("4.2 4.1 four 3.0", "entry 3: score 'four' is not a number"),
        ("4.2 7 4.0", "entry 2: score 7 is outside the wai-sr range 1-5"),
        ("", "type at least one score"),
        ("4,5 3,75", "write 4.5, not 4,5"),  # a decimal comma is refused, never split
    ],
)
def test_bad_typed_input_gives_a_message_not_a_traceback(monitor, typed, message):
    monitor.text.value = typed
    assert message in monitor.message
    assert message.split(":")[0] in monitor.status.value
    assert bytes(monitor.image.value).startswith(b"\x89PNG")  # still a picture


def test_a_rule_that_cannot_run_on_the_scale_says_why(monitor):
    monitor.scale.value = "srs"
    assert "no checked SD and reliability" in monitor.message
    assert monitor.alert_sessions == []
    monitor.rule.value = "cutoff"
    assert monitor.threshold.value == pytest.approx(36.0)
    assert monitor.message == ""
    assert monitor.alert_sessions == list(range(1, 13))  # WAI-SR numbers are all below 36


def test_uploading_the_example_file_offers_its_patients(monitor):
    content = EXAMPLE_SESSION_FILE.read_bytes()
    monitor.upload.value = (
        {
            "name": "session_scores.csv",
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        },
    )
    assert monitor.source.value == "file"
    assert list(monitor.patient.options) == ["A", "B", "C"]
    assert "35 rows read, 35 kept, 0 rejected" in monitor.status.value
    assert monitor.alert_sessions == [6]
    monitor.patient.value = "B"
    assert monitor.alert_sessions == [5]
    monitor.patient.value = "C"
    assert monitor.data["session"].tolist() == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    monitor.source.value = "typed"
    assert monitor.alert_sessions == [6]  # back to the typed default


def test_a_bad_upload_gives_a_message(monitor):
    monitor.load_file(b"PK\x03\x04not a csv", name="scores.xlsx")
    assert monitor.message.startswith("scores.xlsx: this is an Excel workbook")
    assert monitor.alert_sessions == []
    monitor.load_file(b"patient_id;session;score\nA;1;4\nA;2;3\n", name="eu.csv")
    assert "looks semicolon-separated" in monitor.message
    monitor.delimiter.value = ";"
    assert monitor.message == ""
    assert monitor.data["alliance"].tolist() == [4.0, 3.0]
    monitor.delimiter.value = ","
    monitor.load_file(b"patient_id,session,score\nA,1,4\nA,2,x\n", name="typo.csv")
    assert "line 3: score 'x' is not a number" in monitor.message


def test_file_source_without_a_file_says_so(monitor):
    monitor.source.value = "file"
    assert "no file uploaded yet" in monitor.message


def test_draw_gives_the_static_figure_of_the_current_view(monitor):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    monitor.draw(ax)
    labels = [ln.get_label() for ln in ax.lines]
    assert {"score", "alert", "alert below this line"} <= set(labels)
    assert "1 alert" in ax.get_title()
    plt.close(fig)
    assert "make lab" in LIVE_HINT and "Binder" in LIVE_HINT


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown rule 'spike'"):
        SessionMonitor(rule="spike")


def test_describe_says_rule_setting_sessions_and_alerts(monitor):
    assert monitor.describe() == (
        "Reliable drop (z = 1.96, drop > 0.53): 12 sessions scored, 1 alert, at session 6."
    )
    monitor.threshold.value = 0.25  # the 0.08-point dips at sessions 4 and 11 alert too
    assert monitor.describe().endswith("12 sessions scored, 3 alerts, at sessions 4, 6, 11.")
    monitor.text.value = "4.0 NA 4.1 4.2"  # a missing session is not scored
    assert monitor.describe().endswith("3 sessions scored, no alert.")
    monitor.text.value = "4.0 banana"  # one score to judge; the message says what is wrong
    assert monitor.describe().endswith("1 session scored, no alert.")
    assert monitor.message == "entry 2: score 'banana' is not a number"
    monitor.text.value = "banana"
    assert monitor.describe() == "No alerts computed: entry 1: score 'banana' is not a number."


def test_the_status_line_follows_the_threshold(monitor):
    # what the live JupyterLab test reads beside the figure: it must change with the slider
    before = monitor.status.value
    assert "z = 1.96, drop &gt; 0.53" in before
    monitor.threshold.value = 2.5
    assert "z = 2.5, drop &gt; 0.67" in monitor.status.value
    assert monitor.status.value != before


def test_the_explorer_function_and_try_this_follow_the_book_convention():
    explorer = session_monitor_explorer("4.2 4.3 4.1 3.3 4.0", rule="own-mean")
    assert isinstance(explorer, SessionMonitor)
    assert explorer.rule.value == "own-mean" and explorer.alert_sessions == [4]
    header = explorer.widget.children[0].value
    assert "Try this." in header and TRY_THIS.split(",")[0] in header
    # the sessions TRY_THIS names are the dips that alert once z is low enough
    default = session_monitor_explorer()
    default.threshold.value = default.threshold.min
    assert {4, 11} <= set(default.alert_sessions)


# --------------------------------------------------------------------------
# issue 20: decimal commas, ids of any size, and nothing escaping a callback


def _upload(monitor, content: bytes, name: str = "scores.csv"):
    monitor.upload.value = (
        {
            "name": name,
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        },
    )


def test_typed_decimal_commas_are_refused_with_the_fix(monitor):
    monitor.text.value = "4,5 3,5"  # was read as four sessions 4, 5, 3, 5 with a false alert
    assert "write 4.5, not 4,5" in monitor.message
    assert monitor.data.empty and monitor.alert_sessions == []
    assert "write 4.5, not 4,5" in monitor.status.value


def test_twenty_digit_patient_ids_are_offered_and_monitored(monitor):
    big = "12345678901234567890"
    rows = "".join(f"{big},{s},{x}\n" for s, x in enumerate([4.2, 4.3, 4.1, 3.3, 4.0], start=1))
    _upload(monitor, ("patient_id,session,score\n" + rows + "7,1,4\n").encode())
    assert list(monitor.patient.options) == ["7", big]
    monitor.patient.value = big
    assert monitor.alert_sessions == [4]
    assert monitor.data["patient_id"].unique().tolist() == [big]


def _score_line(monitor):
    return [ln for ln in monitor.figure.axes[0].lines if ln.get_label() == "score"]


def test_a_failed_upload_never_leaves_the_previous_scores_on_show(monitor):
    _upload(monitor, EXAMPLE_SESSION_FILE.read_bytes(), "good.csv")
    assert monitor.alert_sessions == [6] and _score_line(monitor)
    before = bytes(monitor.image.value)
    _upload(monitor, b"PK\x03\x04not a csv", "bad.xlsx")
    assert monitor.message.startswith("bad.xlsx: this is an Excel workbook")
    assert monitor.data.empty and monitor.alert_sessions == [] and monitor.file is None
    assert list(monitor.patient.options) == []
    assert len(monitor.figure.axes[0].lines) == 0
    assert bytes(monitor.image.value) != before
    assert monitor.describe().startswith("No alerts computed: bad.xlsx:")


def test_no_exception_escapes_a_callback(monitor, monkeypatch):
    import book.widgets.session_monitor as module

    def overflow(*args, **kwargs):
        raise OverflowError("Python int too large to convert to C long")

    _upload(monitor, EXAMPLE_SESSION_FILE.read_bytes(), "good.csv")
    monkeypatch.setattr(module, "read_sessions", overflow)
    _upload(monitor, EXAMPLE_SESSION_FILE.read_bytes() + b"\n", "other.csv")  # must not raise
    assert "unexpected error: OverflowError" in monitor.message
    assert monitor.data.empty and monitor.alert_sessions == [] and not _score_line(monitor)
    monkeypatch.setattr(module, "detect", lambda *a, **k: 1 / 0)
    monitor.source.value = "typed"
    assert "unexpected error: ZeroDivisionError" in monitor.message
    monkeypatch.setattr(module, "plot_alerts", overflow)
    monkeypatch.setattr(module, "detect", detect)
    monitor.source.value = "typed"
    monitor.threshold.value = 1.0
    assert "the figure could not be drawn" in monitor.message


def test_an_oversized_upload_is_refused_with_its_size(monitor):
    monitor.load_file(b"patient_id,session,score\n" + b"A,1,4\n" * (MAX_UPLOAD_BYTES // 6 + 10))
    assert "the monitor reads files up to 10 MB" in monitor.message
    assert "read_sessions(path)" in monitor.message
    assert monitor.data.empty and list(monitor.patient.options) == []


def test_the_file_is_read_once_not_at_every_slider_move(monitor, monkeypatch):
    import book.widgets.session_monitor as module

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return read_sessions(*args, **kwargs)

    monkeypatch.setattr(module, "read_sessions", counted)
    _upload(monitor, EXAMPLE_SESSION_FILE.read_bytes())
    for z in (1.0, 1.5, 2.5):
        monitor.threshold.value = z
    monitor.patient.value = "B"
    assert len(calls) == 1
    monitor.delimiter.value = ";"  # a new setting: read again
    assert len(calls) == 2 and "looks comma-separated" not in monitor.message


def test_semicolons_and_decimal_commas_from_the_controls(monitor):
    monitor.load_file(b"patient_id;session;score\nA;1;4,5\nA;2;3,75\n", name="eu.csv")
    monitor.delimiter.value = ";"
    assert "read the file with decimal=','" in monitor.message
    monitor.decimal.value = ","
    assert monitor.message == ""
    assert monitor.data["alliance"].tolist() == [4.5, 3.75]


def test_only_alliance_scales_are_offered():
    assert [value for _, value in SessionMonitor().scale.options] == ["wai-sr", "srs"]
    with pytest.raises(ValueError, match="measures depressive symptoms, not the alliance"):
        SessionMonitor(scale="bdi-ii")


def test_the_redrawn_figure_is_the_figure_drawn_from_scratch(monitor):
    from PIL import Image

    monitor.threshold.value = 0.25  # drawn in place on the saved background
    fresh = SessionMonitor()
    fresh.threshold.value = 0.25
    fresh._view = None  # forces a full draw of the same view
    fresh.update()
    a, b = (np.asarray(Image.open(io.BytesIO(bytes(m.image.value)))) for m in (monitor, fresh))
    assert a.shape == b.shape
    assert np.mean(np.any(a != b, axis=-1)) < 0.002  # at most a few antialiased pixels
    assert monitor.alert_sessions == fresh.alert_sessions == [4, 6, 11]
    assert _plotted_alerts(monitor) == [4.0, 6.0, 11.0]


def test_an_upload_without_content_is_a_message(monitor):
    # the FileUpload widget validates its value; a frontend that sends less is still no crash
    import types

    monitor.upload = types.SimpleNamespace(value=({"name": "no content"},))
    monitor._uploaded()
    assert monitor.message.startswith("upload: the upload could not be read (KeyError")
    assert monitor.data.empty
