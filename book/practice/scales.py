"""Session alliance questionnaires: their range, spread, reliability and cut-off.

A session monitor has to know the scale it reads: the range a valid score can
take, and, for the rupture rules in :mod:`book.practice.ruptures`, the spread and
reliability that set a reliable change and the cut-off that marks a poor
session. Each :class:`Scale` records those numbers with their source; a number
without a checked source is ``None`` rather than a guess, and the rules then
ask for it explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCALES", "Scale", "get_scale"]


@dataclass(frozen=True)
class Scale:
    """An end-of-session alliance questionnaire.

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
    cutoff : float
        A session score below this value counts as a poor session.
    source : str
        Where the numbers come from, and which are design choices.
    """

    name: str
    label: str
    minimum: float
    maximum: float
    sd: float | None
    reliability: float | None
    cutoff: float
    source: str

    def contains(self, value: float) -> bool:
        """Whether ``value`` is a possible score on this scale (ends included)."""
        return self.minimum <= value <= self.maximum


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
}


def get_scale(scale: str | Scale) -> Scale:
    """The :class:`Scale` named ``scale`` (or ``scale`` itself if it is one).

    Parameters
    ----------
    scale : str or Scale
        A name in :data:`SCALES` (case and surrounding spaces ignored) or a
        :class:`Scale`.

    Returns
    -------
    Scale

    Examples
    --------
    >>> get_scale("WAI-SR").maximum
    5.0
    >>> get_scale("bdi")
    Traceback (most recent call last):
    ...
    ValueError: unknown scale 'bdi'; known scales are: 'wai-sr', 'srs'
    """
    if isinstance(scale, Scale):
        return scale
    if not isinstance(scale, str):
        raise TypeError(f"scale must be a name such as 'wai-sr', got {type(scale).__name__}")
    key = scale.strip().lower()
    if key not in SCALES:
        known = ", ".join(repr(k) for k in SCALES)
        raise ValueError(f"unknown scale {scale!r}; known scales are: {known}")
    return SCALES[key]
