"""Consent records and the privacy-budget ledger of open-data releases.

Invariants live in the database: a citizen has at most one open consent per purpose,
and a dataset's spent privacy budget never exceeds its total.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gorod.privacy.purposes import PURPOSES

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable
    from django_stubs_ext import StrPromise

    DecimalColumn = models.DecimalField[Decimal | float | str | Combinable, Decimal]


def amount_text(value: Decimal) -> str:
    """A budget amount without trailing zeros and never in exponent form: 0.5, 3, 0.000001."""
    return f"{value.normalize():f}"


def _account_field(verbose_name: str | StrPromise) -> models.ForeignKey[Any, Any]:
    """Who did it: kept as a name-less link that survives the account's deletion."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


def _epsilon_field(verbose_name: str | StrPromise, **options: Any) -> DecimalColumn:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=6, **options)


def _delta_field(verbose_name: str | StrPromise) -> DecimalColumn:
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=15, default=Decimal(0))


class ConsentText(models.Model):
    """One published version of the text a citizen agrees to for a purpose."""

    purpose = models.CharField(_("purpose"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    text_ru = models.TextField(_("text in Russian"))
    text_en = models.TextField(_("text in English"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "version"], name="consent_text_version_once"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="consent_text_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose_label} v{self.version}"

    @property
    def purpose_label(self) -> str:
        purpose = PURPOSES.get(self.purpose)
        return str(purpose.label) if purpose else self.purpose

    @property
    def text(self) -> str:
        """The text in the language of the current request (Russian by default)."""
        return self.text_en if (get_language() or "ru").startswith("en") else self.text_ru


class Consent(models.Model):
    """A citizen's consent to one purpose, from the moment given until withdrawn."""

    citizen = models.ForeignKey(
        "people.Citizen",
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("citizen"),
    )
    purpose = models.CharField(_("purpose"), max_length=64)
    text = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, related_name="consents", verbose_name=_("text")
    )
    given_by = _account_field(_("given by"))
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_open_per_purpose",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]
        indexes = [models.Index(fields=["citizen", "purpose"])]

    def __str__(self) -> str:
        return f"{self.citizen_id}: {self.purpose} v{self.text.version}"

    @property
    def is_open(self) -> bool:
        return self.withdrawn_at is None


class PrivacyBudget(models.Model):
    """How much privacy loss (epsilon, delta) a dataset may ever spend, and has spent."""

    dataset = models.CharField(_("dataset"), max_length=64, unique=True)
    total_epsilon = _epsilon_field(_("total epsilon"))
    spent_epsilon = _epsilon_field(_("spent epsilon"), default=Decimal(0))
    total_delta = _delta_field(_("total delta"))
    spent_delta = _delta_field(_("spent delta"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("privacy budget")
        verbose_name_plural = _("privacy budgets")
        ordering = ["dataset"]
        constraints = [
            models.CheckConstraint(
                condition=Q(spent_epsilon__gte=0, spent_epsilon__lte=F("total_epsilon")),
                name="privacy_budget_epsilon_within_total",
                violation_error_message=_("The total epsilon cannot be below what is spent."),
            ),
            models.CheckConstraint(
                condition=Q(spent_delta__gte=0, spent_delta__lte=F("total_delta")),
                name="privacy_budget_delta_within_total",
                violation_error_message=_("The total delta cannot be below what is spent."),
            ),
            models.CheckConstraint(
                condition=Q(total_delta__lt=1), name="privacy_budget_delta_below_one"
            ),
        ]

    def __str__(self) -> str:
        return self.dataset

    @property
    def remaining_epsilon(self) -> Decimal:
        return self.total_epsilon - self.spent_epsilon

    @property
    def remaining_delta(self) -> Decimal:
        return self.total_delta - self.spent_delta


class Release(models.Model):
    """A differentially private table published as open data."""

    budget = models.ForeignKey(
        PrivacyBudget, on_delete=models.PROTECT, related_name="releases", verbose_name=_("budget")
    )
    epsilon = _epsilon_field(_("epsilon"))
    delta = _delta_field(_("delta"))
    mechanism = models.CharField(_("mechanism"), max_length=64)
    created_at = models.DateTimeField(_("published"), default=timezone.now)
    created_by = _account_field(_("published by"))
    # Bounds, cells, the epsilon split and the confidence level the numbers were made with.
    parameters = models.JSONField(_("parameters"), default=dict)
    # {"columns": [{"name", "kind"}...], "rows": [[...], ...]}
    table = models.JSONField(_("table"), default=dict)
    # {column: {"mechanism", "scale", "plus_minus", "confidence"}}
    accuracy = models.JSONField(_("accuracy"), default=dict)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(epsilon__gt=0), name="release_epsilon_positive"),
            models.CheckConstraint(
                condition=Q(delta__gte=0, delta__lt=1), name="release_delta_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} #{self.pk}"

    @property
    def dataset(self) -> str:
        return self.budget.dataset
