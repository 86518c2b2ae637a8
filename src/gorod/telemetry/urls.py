"""Official telemetry pages, mounted at ``/telemetry/``."""

from django.urls import URLPattern, path

from gorod.telemetry import views

app_name = "telemetry"

urlpatterns: list[URLPattern] = [
    path("devices/", views.devices, name="devices"),
    path("devices/<str:device_id>/", views.device, name="device"),
    path("alarms/", views.alarm_list, name="alarms"),
    path("alarms/<int:alarm_id>/", views.alarm, name="alarm"),
    path("alarms/<int:alarm_id>/acknowledge/", views.alarm_acknowledge, name="alarm-acknowledge"),
    path("alarms/<int:alarm_id>/clear/", views.alarm_clear, name="alarm-clear"),
    path("dead-letters/", views.dead_letters, name="dead-letters"),
    path("status/", views.ingest_status, name="status"),
]
