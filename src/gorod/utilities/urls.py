from django.urls import path

from gorod.utilities import views

app_name = "utilities"

urlpatterns = [
    path("", views.my_meters, name="meters"),
    path("submit/", views.submit, name="submit"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert, name="alert"),
    path("districts/", views.districts, name="districts"),
]
