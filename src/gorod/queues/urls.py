from django.urls import URLPattern

app_name = "queues"

urlpatterns: list[URLPattern] = []
