from django.urls import path

from gorod.privacy import views

app_name = "privacy"

urlpatterns = [
    path("consents/", views.consents, name="consents"),
    path("export/", views.export_page, name="export-page"),
    path("export/download/", views.export_download, name="export"),
    path("open-data/", views.releases, name="releases"),
    path("open-data/<int:release_id>/", views.release, name="release"),
    path("open-data/<int:release_id>.csv", views.release_csv, name="release-csv"),
    path("open-data/<int:release_id>.json", views.release_json, name="release-json"),
]
