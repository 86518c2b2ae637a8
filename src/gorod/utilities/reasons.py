"""The words for a reading's reason code, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gorod.utilities.vee import Method, Reason

ESTIMATE_REASONS = {
    Method.AVERAGE: "estimate_average",
    Method.STANDARD: "estimate_standard",
}

_TEMPLATES: dict[str, Promise] = {
    Reason.NEGATIVE: gettext_lazy(
        "The reading %(value)s is negative: a meter counts up from zero."
    ),
    Reason.TOO_WIDE: gettext_lazy(
        "The reading %(value)s does not fit the meter's register of %(digits)s digits "
        "before the decimal point."
    ),
    Reason.BELOW_PREVIOUS: gettext_lazy(
        "The reading %(value)s is below the previous accepted reading %(previous)s; "
        "a meter only counts up. Check the digits."
    ),
    Reason.ABOVE_STANDARD: gettext_lazy(
        "The reading means %(consumption)s used since the previous one, more than the "
        "%(allowed)s allowed for %(residents)s registered residents (the standard times the "
        "limit factor). Check the digits or ask the operator to check the meter."
    ),
    Reason.SPIKE: gettext_lazy(
        "The reading means %(daily)s a day, more than %(factor)s times this meter's average "
        "of %(average)s a day. Check the digits or ask the operator to check the meter."
    ),
    "estimate_average": gettext_lazy(
        "No reading this month: estimated as the average of the last %(months)s months."
    ),
    "estimate_standard": gettext_lazy(
        "No reading this month: estimated by the consumption standard for %(residents)s "
        "registered residents."
    ),
    "smart_missing": gettext_lazy("The smart meter sent no value this month."),
}


# The kinds of alert the detectors of ``gorod.utilities.anomalies`` raise, and the figures
# of their evidence, as an operator reads them.
KIND_LABELS: dict[str, Promise] = {
    "leak": gettext_lazy("leak"),
    "burst": gettext_lazy("consumption far above the meter's profile"),
    "stuck": gettext_lazy("stuck meter"),
    "magnet": gettext_lazy("slowed meter (magnet?)"),
    "reverse": gettext_lazy("register went backwards"),
    "repeat": gettext_lazy("implausibly repeated values"),
    "outlier": gettext_lazy("unlike similar apartments"),
}
EVIDENCE_LABELS: dict[str, Promise] = {
    "hours": gettext_lazy("hours alerting"),
    "litres_last_24h": gettext_lazy("litres in the last 24 hours"),
    "min_hour_litres_last_24h": gettext_lazy("least litres in an hour of the last 24"),
    "typical_day_litres": gettext_lazy("litres on a typical day before"),
    "peak_hour_litres": gettext_lazy("most litres in an hour"),
    "score": gettext_lazy("score"),
}


# Why each detector of ``anomalies.py`` (by its label) raised an alert, in plain words.
ALERT_REASONS: dict[str, Promise] = {
    "decreasing": gettext_lazy("The register went backwards: a tampered or faulty meter."),
    "repeat": gettext_lazy("The same volume hour after hour: real use never repeats so exactly."),
    "stuck": gettext_lazy(
        "No consumption for two days although the meter measured water the week before: "
        "a stopped register, or nobody at home."
    ),
    "slowed": gettext_lazy(
        "Far less than this household's usual daily use while the register still moves: "
        "a slowed meter (a magnet?) or a worn one."
    ),
    "above_profile": gettext_lazy(
        "An hour far above this meter's usual use at that hour of the day: a burst pipe?"
    ),
    "continuous_flow": gettext_lazy(
        "Water flowed in every hour for more than a day: a leak or a running tap."
    ),
    "night_flow": gettext_lazy(
        "Water flowed every night between 02:00 and 05:00 for three nights: a leak?"
    ),
}


def alert_reason_text(reason: str) -> str:
    """A detector's reason in plain words; a free-text reason as it was given."""
    words = ALERT_REASONS.get(reason)
    return str(words) if words is not None else reason


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def evidence_label(key: str) -> str:
    label = EVIDENCE_LABELS.get(key)
    return str(label) if label is not None else key


def reason_text(code: str, params: Mapping[str, str] | None = None) -> str:
    """The plain-words message for ``code``; empty for no code."""
    if not code:
        return ""
    template = _TEMPLATES.get(code)
    if template is None:
        return _("Reason: %(code)s.") % {"code": code}
    return str(template) % dict(params or {})
