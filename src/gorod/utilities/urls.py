from django.urls import URLPattern

app_name = "utilities"

urlpatterns: list[URLPattern] = []
