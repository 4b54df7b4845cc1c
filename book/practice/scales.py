"""Session questionnaires: their range, spread, reliability and cut-off.

A session monitor has to know the scale it reads: the range a valid score can
take, and, for the rupture rules in :mod:`book.practice.ruptures`, the spread and
reliability that set a reliable change and the cut-off that marks a poor
session. Each :class:`Scale` records those numbers with their source; a number
without a checked source is ``None`` rather than a guess, and the rules then
ask for it explicitly.

Most scales here measure the alliance (higher is better). The BDI-II measures
depressive symptoms (higher is worse); the session-file reader checks its
scores, but the rupture rules, which look for drops in the alliance, refuse it.
The IIP-32 measures interpersonal problems once, at intake: a patient table
(:func:`book.practice.session_file.read_patients`) holds it, not a session file.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCALES", "Scale", "get_scale"]


@dataclass(frozen=True)
class Scale:
    """A questionnaire: the alliance after a session, symptoms before it, or problems at intake.

    Attributes
    ----------
    name : str
        Short name used in code, e.g. ``"wai-sr"``.
    label : str
        Name for people, with the direction of the scale.
    minimum, maximum : float
        The lowest and highest score the questionnaire can give.
    sd : float or None
        A typical between-patient standard deviation of session scores, used
        for the reliable change index; ``None`` if the book has no checked value.
    reliability : float or None
        Internal consistency (Cronbach's alpha) of a session score; ``None``
        if the book has no checked value.
    cutoff : float or None
        An alliance score below this value counts as a poor session; ``None``
        for a scale that does not measure the alliance.
    source : str
        Where the numbers come from, and which are design choices.
    construct : str, default "alliance"
        What the scale measures: ``"alliance"`` (higher is better),
        ``"depressive symptoms"`` or ``"interpersonal problems"`` (higher is worse).
    column : str, default "alliance"
        The book's column for scores on this scale: ``alliance`` in the
        sessions table, ``bdi`` for the BDI-II, ``iip`` for the IIP-32.
    whole : bool, default False
        Scores are whole points (a sum of item ratings), so 12.5 is not a score.
    """

    name: str
    label: str
    minimum: float
    maximum: float
    sd: float | None
    reliability: float | None
    cutoff: float | None
    source: str
    construct: str = "alliance"
    column: str = "alliance"
    whole: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` is a possible score on this scale (ends included, whole if need be).

        Examples
        --------
        >>> get_scale("bdi-ii").contains(12), get_scale("bdi-ii").contains(12.5)
        (True, False)
        """
        in_range = self.minimum <= value <= self.maximum
        return in_range and (not self.whole or float(value).is_integer())


#: The scales the book knows, by name.
SCALES: dict[str, Scale] = {
    "wai-sr": Scale(
        name="wai-sr",
        label="WAI-SR (mean of 12 items, 1-5; higher is a better alliance)",
        minimum=1.0,
        maximum=5.0,
        sd=0.6,
        reliability=0.90,
        cutoff=3.0,
        source=(
            "range: Hatcher & Gillaspy 2006; SD about 0.6 and alpha about .90 as in "
            "../shared/literature.md (norms unverified); the cut-off 3.0 is a design "
            "choice: the WAI-SR has no published clinical cut-off"
        ),
    ),
    "srs": Scale(
        name="srs",
        label="Session Rating Scale (0-40; higher is a better alliance)",
        minimum=0.0,
        maximum=40.0,
        sd=None,
        reliability=None,
        cutoff=36.0,
        source=(
            "range and clinical cut-off 36: Duncan et al. 2003 (secondary); no checked "
            "SD or reliability, so the reliable-change rule needs them given"
        ),
    ),
    "bdi-ii": Scale(
        name="bdi-ii",
        label="BDI-II (sum of 21 items rated 0-3, 0-63; higher is more depressed)",
        minimum=0.0,
        maximum=63.0,
        sd=None,
        reliability=0.91,
        cutoff=None,
        source=(
            "21 items rated 0-3 and summed, so 0-63 in whole points: Beck, Steer & Brown "
            "1996, Manual for the Beck Depression Inventory-II; coefficient alpha .91 in "
            "140 psychiatric outpatients: Beck, Steer, Ball & Ranieri 1996, Journal of "
            "Personality Assessment 67(3), 588-597; no between-patient SD is recorded here"
        ),
        construct="depressive symptoms",
        column="bdi",
        whole=True,
    ),
    "iip-32": Scale(
        name="iip-32",
        label=(
            "IIP-32 (mean of 32 items rated 0-4, at intake; higher is more interpersonal problems)"
        ),
        minimum=0.0,
        maximum=4.0,
        sd=None,
        reliability=None,
        cutoff=None,
        source=(
            "the short form of the Inventory of Interpersonal Problems: 32 items, four for "
            "each octant of the interpersonal circle, each rated from 0 (not at all) to 4 "
            "(extremely) as in every version of the IIP (Horowitz, Alden & Pincus 2000, "
            "Inventory of Interpersonal Problems manual), so the item mean lies in 0-4; no "
            "SD or reliability is recorded here. Measured once, at intake: a patient's "
            "score, not a session's"
        ),
        construct="interpersonal problems",
        column="iip",
    ),
}


def get_scale(scale: str | Scale, *, construct: str | None = None) -> Scale:
    """The :class:`Scale` named ``scale`` (or ``scale`` itself if it is one).

    Parameters
    ----------
    scale : str or Scale
        A name in :data:`SCALES` (case and surrounding spaces ignored) or a
        :class:`Scale`.
    construct : str, optional
        What the scale must measure (e.g. ``"alliance"``); another one is refused.

    Returns
    -------
    Scale

    Examples
    --------
    >>> get_scale("WAI-SR").maximum
    5.0
    >>> get_scale("phq-9")
    Traceback (most recent call last):
    ...
    ValueError: unknown scale 'phq-9'; known scales are: 'wai-sr', 'srs', 'bdi-ii', 'iip-32'
    >>> get_scale("bdi-ii", construct="alliance")
    Traceback (most recent call last):
    ...
    ValueError: the bdi-ii scale measures depressive symptoms, not the alliance; \
alliance scales are: 'wai-sr', 'srs'
    """
    if not isinstance(scale, Scale):
        if not isinstance(scale, str):
            raise TypeError(f"scale must be a name such as 'wai-sr', got {type(scale).__name__}")
        key = scale.strip().lower()
        if key not in SCALES:
            known = ", ".join(repr(k) for k in SCALES)
            raise ValueError(f"unknown scale {scale!r}; known scales are: {known}")
        scale = SCALES[key]
    if construct is not None and scale.construct != construct:
        fitting = ", ".join(repr(k) for k, s in SCALES.items() if s.construct == construct)
        raise ValueError(
            f"the {scale.name} scale measures {scale.construct}, not the {construct}; "
            f"{construct} scales are: {fitting}"
        )
    return scale
