"""Back office for the log and the audit: read only, for everyone, always.

Auditors and city administrators see every audit event; other officials see their own
institution's (or district's). Log entries and signed heads are public anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gorod.ledger import merkle
from gorod.ledger.actions import action_label
from gorod.ledger.commitments import commitment
from gorod.ledger.models import AuditEvent, LogEntry, SignedTreeHead
from gorod.ledger.selectors import audit_events_for
from gorod.people.models import Official

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


class ReadOnlyAdmin(ModelAdmin):
    """Nothing here is added, changed or deleted by hand: the services write it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or Official.objects.filter(user_id=user.pk).exists())
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "action_name",
        "actor_name",
        "actor_role",
        "actor_institution_name",
        "subject",
        "purpose",
        "log_entry_id",
    )
    list_filter = ("actor_role", "action")
    list_select_related = ("subject",)
    search_fields = ("action", "purpose", "actor_name", "actor_institution_name")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "action",
        "actor",
        "actor_name",
        "actor_role",
        "actor_institution",
        "actor_institution_name",
        "subject",
        "purpose",
        "detail",
        "log_entry",
        "matches_log",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return audit_events_for(user=request.user).select_related("subject")

    @admin.display(description=_("action"), ordering="action")
    def action_name(self, event: AuditEvent) -> str:
        return action_label(event.action)

    @admin.display(description=_("matches its log entry"))
    def matches_log(self, event: AuditEvent) -> str:
        if event.nonce is None:
            return str(_("the key is with the citizen's receipt"))
        logged = merkle.leaf_hash(commitment(event.statement(), bytes(event.nonce)))
        return str(_("yes") if logged == bytes(event.log_entry.leaf_hash) else _("NO: altered"))


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ("index", "kind", "created_at", "leaf_hash_hex")
    list_filter = ("kind",)
    ordering = ("-index",)
    fields = ("index", "kind", "created_at", "leaf_hash_hex")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("leaf hash"))
    def leaf_hash_hex(self, entry: LogEntry) -> str:
        return bytes(entry.leaf_hash).hex()


@admin.register(SignedTreeHead)
class SignedTreeHeadAdmin(ReadOnlyAdmin):
    list_display = ("tree_size", "signed_at", "root_hash_hex", "key_id")
    fields = ("tree_size", "signed_at", "timestamp_ms", "root_hash_hex", "signature_hex", "key_id")
    readonly_fields = fields

    @admin.display(description=_("signed at"), ordering="timestamp_ms")
    def signed_at(self, head: SignedTreeHead) -> Any:
        return head.timestamp

    @admin.display(description=_("root hash"))
    def root_hash_hex(self, head: SignedTreeHead) -> str:
        return bytes(head.root_hash).hex()

    @admin.display(description=_("signature"))
    def signature_hex(self, head: SignedTreeHead) -> str:
        return bytes(head.signature).hex()
