from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from gorod.portal.models import Delivery, Notification

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Delivery, Notification]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class DeliveryInline(TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ("channel", "address", "status", "detail", "updated_at")

    def has_add_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    list_display = ("title", "user", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__email", "user__phone")
    readonly_fields = ("user", "kind", "title", "body", "link", "created_at", "read_at")
    inlines = (DeliveryInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
