"""The transparency log in the database, its signed heads, and the audit events it proves.

The log is an RFC 9162 Merkle tree: ``LogEntry`` rows are its leaves (only the hash of a
commitment, never personal data), ``LogNode`` rows every perfect subtree hash addressed by
``(level, index)`` so that appends and proofs read O(log n) rows, and the one ``LogState``
row holds the size and root and is the lock appends queue on. ``SignedTreeHead`` rows are
the published, Ed25519-signed (size, time, root) triples. ``AuditEvent`` is the private side
of a sensitive act: who did what to whose record and why, tied to its log entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from gorod.people.models import Role

HASH_SIZE = 32
SIGNATURE_SIZE = 64
# Dotted lower-case words, e.g. ``health.record.read``: the domain first, then the act.
ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


def _is_hash(field: str) -> Exact[int]:
    return Exact(Length(field), HASH_SIZE)


class LogEntry(models.Model):
    """A leaf of the log: the hash of a commitment to one act, at a position that never changes."""

    index = models.BigIntegerField(_("index"), primary_key=True)
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=HASH_SIZE)
    kind = models.CharField(_("kind"), max_length=64)
    created_at = models.DateTimeField(_("logged at"))

    class Meta:
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        ordering = ["index"]
        constraints = [
            models.CheckConstraint(condition=Q(index__gte=0), name="logentry_index_not_negative"),
            models.CheckConstraint(condition=_is_hash("leaf_hash"), name="logentry_leaf_hash_32"),
            models.CheckConstraint(condition=Q(kind__regex=ACTION_PATTERN), name="logentry_kind"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


class LogNode(models.Model):
    """The hash of the perfect subtree over leaves [index * 2**level, (index + 1) * 2**level)."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField(_("level"))
    index = models.BigIntegerField(_("index"))
    hash = models.BinaryField(_("hash"), max_length=HASH_SIZE)

    class Meta:
        verbose_name = _("tree node")
        verbose_name_plural = _("tree nodes")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__lte=63, index__gte=0), name="lognode_address_in_range"
            ),
            models.CheckConstraint(condition=_is_hash("hash"), name="lognode_hash_32"),
        ]

    def __str__(self) -> str:
        return f"({self.level}, {self.index})"


class LogState(models.Model):
    """The log's size and root: one row, locked by every append so appends never interleave."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    size = models.BigIntegerField(_("size"), default=0)
    root = models.BinaryField(_("root hash"), max_length=HASH_SIZE)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("log state")
        verbose_name_plural = _("log state")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="logstate_singleton"),
            models.CheckConstraint(condition=Q(size__gte=0), name="logstate_size_not_negative"),
            models.CheckConstraint(condition=_is_hash("root"), name="logstate_root_32"),
        ]

    def __str__(self) -> str:
        return f"{self.size}"


class SignedTreeHead(models.Model):
    """A published head: the log's size and root at a time, signed with the log's Ed25519 key."""

    tree_size = models.BigIntegerField(_("tree size"), unique=True)
    timestamp_ms = models.BigIntegerField(_("timestamp (ms since the epoch, UTC)"))
    root_hash = models.BinaryField(_("root hash"), max_length=HASH_SIZE)
    signature = models.BinaryField(_("signature"), max_length=SIGNATURE_SIZE)
    key_id = models.CharField(_("key id"), max_length=64)

    class Meta:
        verbose_name = _("signed tree head")
        verbose_name_plural = _("signed tree heads")
        ordering = ["-tree_size"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tree_size__gte=0, timestamp_ms__gte=0), name="sth_not_negative"
            ),
            models.CheckConstraint(condition=_is_hash("root_hash"), name="sth_root_hash_32"),
            models.CheckConstraint(
                condition=Exact(Length("signature"), SIGNATURE_SIZE), name="sth_signature_64"
            ),
            models.CheckConstraint(condition=Q(key_id__regex=r"^[0-9a-f]{64}$"), name="sth_key_id"),
        ]

    def __str__(self) -> str:
        return f"{self.tree_size} @ {self.timestamp:%Y-%m-%d %H:%M:%S}"

    @property
    def timestamp(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.timestamp_ms / 1000, tz=dt.UTC)


class AuditEvent(models.Model):
    """A sensitive act: who (as they were then), what, whose record, why; proven by the log.

    The log entry is the hash of an HMAC of this event's statement. ``nonce`` is the HMAC key
    the city keeps so auditors can re-check the row against the log; it is empty when the
    key was handed to the citizen as a receipt secret instead.
    """

    actor = models.ForeignKey(
        "people.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=200, blank=True)
    actor_role = models.CharField(
        _("actor's role"), max_length=32, choices=Role.choices, blank=True
    )
    actor_institution = models.ForeignKey(
        "places.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("actor's institution"),
    )
    actor_institution_name = models.CharField(
        _("actor's institution name"), max_length=300, blank=True
    )
    action = models.CharField(_("action"), max_length=64)
    subject = models.ForeignKey(
        "people.Citizen",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("whose record"),
    )
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"))
    log_entry = models.OneToOneField(
        LogEntry,
        on_delete=models.PROTECT,
        related_name="audit_event",
        verbose_name=_("log entry"),
    )
    nonce = models.BinaryField(_("commitment key"), max_length=HASH_SIZE, null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(action__regex=ACTION_PATTERN), name="audit_action"),
            models.CheckConstraint(
                condition=Q(nonce__isnull=True) | Q(_is_hash("nonce")), name="audit_nonce_32"
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "-created_at"], name="audit_subject_time"),
            models.Index(
                fields=["actor_institution", "-created_at"], name="audit_institution_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.log_entry_id}"

    def statement(self) -> dict[str, Any]:
        """What the log entry commits to: the event as it was written, in plain JSON values."""
        return {
            "v": 1,
            "action": self.action,
            "actor": self.actor_id,
            "actor_role": self.actor_role,
            "actor_institution": self.actor_institution_id,
            "subject": self.subject_id,
            "purpose": self.purpose,
            "detail": self.detail,
            "time": self.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        }
