"""Enrolment: programmes and their territories, rounds, applications, results and offers.

A ``Programme`` is what a child is admitted to: a kindergarten age group, a school's first
grade intake, a club's group. A ``Round`` collects ``Application``s (ranked ``Choice``s and
``PriorityClaim``s) until it closes; running it fixes each choice's priority group and
lottery number, the programmes' ``Cutoff``s and one ``Offer`` per admitted child. A family's
refusal frees a place that the waitlist run passes on (docs/enrolment.md). Every run is a
``Run`` row with the hashes logged in the transparency log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MAX_CHOICES_LIMIT = 10
"""No round lets a family list more programmes than this (a round sets its own limit)."""


class Kind(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("kindergarten")
    SCHOOL = "school", _("first grade")
    CLUB = "club", pgettext_lazy("enrolment", "club")


class Programme(models.Model):
    """A group children are admitted to, with the ages it takes on 1 September of ``year``."""

    institution = models.ForeignKey(
        "places.Institution",
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("institution"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(pgettext_lazy("enrolment", "name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("school year (starts 1 September)"))
    min_age_months = models.PositiveSmallIntegerField(_("youngest age, months"))
    max_age_months = models.PositiveSmallIntegerField(_("oldest age, months (exclusive)"))
    schedule = models.CharField(_("schedule"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["institution__name", "min_age_months", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "year", "name"], name="programme_name_once_a_year"
            ),
            models.CheckConstraint(
                condition=Q(min_age_months__lt=F("max_age_months")), name="programme_age_range"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="programme_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.institution}: {self.name}"


class Territory(models.Model):
    """A building or a whole district assigned to a kindergarten or a school."""

    institution = models.ForeignKey(
        "places.Institution",
        on_delete=models.CASCADE,
        related_name="territories",
        verbose_name=_("institution"),
    )
    building = models.ForeignKey(
        "places.Building",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("enrolment", "building"),
    )
    district = models.ForeignKey(
        "places.District",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )

    class Meta:
        verbose_name = _("assigned territory")
        verbose_name_plural = _("assigned territories")
        constraints = [
            models.CheckConstraint(
                condition=Q(building__isnull=True, district__isnull=False)
                | Q(building__isnull=False, district__isnull=True),
                name="territory_building_or_district",
            ),
            models.UniqueConstraint(
                fields=["institution", "building"], name="territory_building_once"
            ),
            models.UniqueConstraint(
                fields=["institution", "district"], name="territory_district_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution} ← {self.building or self.district}"


class Round(models.Model):
    """One enrolment campaign of one kind for one school year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open for applications")
        CLOSED = "closed", pgettext_lazy("enrolment", "closed")
        MATCHED = "matched", _("matched")
        PUBLISHED = "published", _("results published")

    class TieBreaking(models.TextChoices):
        SINGLE = "single", _("one lottery number per child")
        MULTIPLE = "multiple", _("a lottery number per child and programme")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("school year (starts 1 September)"))
    name = models.CharField(pgettext_lazy("enrolment", "name"), max_length=200)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    max_choices = models.PositiveSmallIntegerField(_("programmes a family may list"))
    status = models.CharField(
        pgettext_lazy("enrolment", "status"),
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    tie_breaking = models.CharField(
        _("tie-breaking"), max_length=8, choices=TieBreaking.choices, default=TieBreaking.SINGLE
    )
    seed = models.BigIntegerField(_("lottery seed"), null=True, blank=True)
    input_sha256 = models.CharField(_("input SHA-256"), max_length=64, blank=True)
    result_sha256 = models.CharField(_("result SHA-256"), max_length=64, blank=True)
    matched_at = models.DateTimeField(_("matched"), null=True, blank=True)
    published_at = models.DateTimeField(
        pgettext_lazy("enrolment", "published"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("enrolment round")
        verbose_name_plural = _("enrolment rounds")
        ordering = ["-year", "kind", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="round_window"),
            models.CheckConstraint(
                condition=Q(max_choices__gte=1, max_choices__lte=MAX_CHOICES_LIMIT),
                name="round_max_choices",
            ),
            models.CheckConstraint(
                condition=Q(seed__isnull=True) | Q(seed__gte=0), name="round_seed_non_negative"
            ),
            models.UniqueConstraint(fields=["kind", "year", "name"], name="round_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """A guardian's application for a child in a round: one per child and round."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        WITHDRAWN = "withdrawn", _("withdrawn")
        ADMITTED = "admitted", _("offered a place")
        WAITLISTED = "waitlisted", _("no place yet: on the waiting lists")
        DECLINED = "declined", _("place declined")

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="applications", verbose_name=_("round")
    )
    child = models.ForeignKey(
        "people.Citizen",
        on_delete=models.CASCADE,
        related_name="applications",
        verbose_name=_("child"),
    )
    guardian = models.ForeignKey(
        "people.Citizen",
        on_delete=models.PROTECT,
        related_name="applications_made",
        verbose_name=pgettext_lazy("enrolment", "guardian"),
    )
    status = models.CharField(
        pgettext_lazy("enrolment", "status"),
        max_length=16,
        choices=Status.choices,
        default=Status.SUBMITTED,
    )
    lottery = models.PositiveIntegerField(
        _("lottery number"),
        null=True,
        blank=True,
        help_text=_("Set when the round runs: 0 with a lottery number per programme."),
    )
    assigned = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned",
        verbose_name=_("place after the latest run"),
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    updated_at = models.DateTimeField(pgettext_lazy("enrolment", "updated"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["round", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "child"], name="application_once_per_round"),
            models.CheckConstraint(
                condition=~Q(guardian=F("child")), name="application_not_own_guardian"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.child}"


class Choice(models.Model):
    """A programme the family lists, ``rank`` 1 the most wanted.

    ``group`` and ``lottery`` are fixed when the round runs; a choice stops being ``active``
    when the family declines a place at it or at a programme it ranked higher.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="choices")
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="choices", verbose_name=_("programme")
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    group = models.PositiveIntegerField(_("priority group"), null=True, blank=True)
    lottery = models.PositiveIntegerField(_("lottery number"), null=True, blank=True)
    active = models.BooleanField(_("still wanted"), default=True)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="choice_rank_once"),
            models.UniqueConstraint(
                fields=["application", "programme"], name="choice_programme_once"
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=MAX_CHOICES_LIMIT), name="choice_rank_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.programme}"


class PriorityClaim(models.Model):
    """A right the family claims, with the state of its supporting document."""

    class Category(models.TextChoices):
        EXTRAORDINARY = "extraordinary", _("extraordinary right by law")
        PRIORITY = "priority", _("priority right by law")
        SIBLING = "sibling", _("a brother or sister at the institution")
        STAFF = "staff", _("a parent works at the institution")

    class Document(models.TextChoices):
        PENDING = "pending", _("document being checked")
        VERIFIED = "verified", _("document verified")
        REJECTED = "rejected", _("document rejected")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="claims")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    institution = models.ForeignKey(
        "places.Institution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
    )
    document = models.CharField(_("supporting document"), max_length=200, blank=True)
    document_status = models.CharField(
        _("document status"), max_length=16, choices=Document.choices, default=Document.PENDING
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("priority claim")
        verbose_name_plural = _("priority claims")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=["sibling", "staff"], institution__isnull=False)
                | Q(category__in=["extraordinary", "priority"], institution__isnull=True),
                name="claim_institution_fits_category",
            ),
            models.UniqueConstraint(
                fields=["application", "category"],
                condition=Q(institution__isnull=True),
                name="claim_right_once",
            ),
            models.UniqueConstraint(
                fields=["application", "category", "institution"],
                condition=Q(institution__isnull=False),
                name="claim_institution_once",
            ),
        ]

    def __str__(self) -> str:
        return self.get_category_display()


class Run(models.Model):
    """One run of the mechanism: the round itself, then each waitlist run after a refusal."""

    class Kind(models.TextChoices):
        ROUND = "round", _("round")
        WAITLIST = "waitlist", _("waitlist")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    input_sha256 = models.CharField(_("input SHA-256"), max_length=64)
    result_sha256 = models.CharField(_("result SHA-256"), max_length=64)
    log_index = models.BigIntegerField(_("transparency log entry"))
    applicants = models.PositiveIntegerField(_("applicants"))
    assigned = models.PositiveIntegerField(_("assigned"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["round", "pk"]

    def __str__(self) -> str:
        return f"{self.round}: {self.get_kind_display()} {self.input_sha256[:12]}"


class Cutoff(models.Model):
    """Where a programme stopped admitting, after the latest run: ``None`` when not full."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="cutoffs")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="cutoffs")
    admitted = models.PositiveIntegerField(_("admitted"))
    group = models.PositiveIntegerField(_("priority group"), null=True, blank=True)
    lottery = models.PositiveIntegerField(_("lottery number"), null=True, blank=True)

    class Meta:
        verbose_name = _("cutoff")
        verbose_name_plural = _("cutoffs")
        constraints = [
            models.UniqueConstraint(fields=["round", "programme"], name="cutoff_once"),
            models.CheckConstraint(
                condition=Q(group__isnull=True, lottery__isnull=True)
                | Q(group__isnull=False, lottery__isnull=False),
                name="cutoff_group_with_lottery",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}: {self.group}/{self.lottery}"


class Offer(models.Model):
    """A place offered to a child: accepted, declined, or expired after a deadline."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("offered, awaiting an answer")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired without an answer")
        SUPERSEDED = "superseded", _("replaced by a place the family ranked higher")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="offers")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="offers")
    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(
        pgettext_lazy("enrolment", "status"),
        max_length=16,
        choices=Status.choices,
        default=Status.OFFERED,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["application", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=["offered", "accepted"]),
                name="offer_one_live_per_application",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.child}: {self.programme} ({self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return self.status in {self.Status.OFFERED, self.Status.ACCEPTED}
