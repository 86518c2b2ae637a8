from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from gorod.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("api/openapi.json", RedirectView.as_view(url="/api/v1/openapi.json", permanent=False)),
    path("", include("gorod.people.urls")),
    path("places/", include("gorod.places.urls")),
    path("log/", include("gorod.ledger.urls")),
    path("privacy/", include("gorod.privacy.urls")),
    path("telemetry/", include("gorod.telemetry.urls")),
    path("utilities/", include("gorod.utilities.urls")),
    path("scheduling/", include("gorod.scheduling.urls")),
    path("queues/", include("gorod.queues.urls")),
    path("education/", include("gorod.education.urls")),
    path("", include("gorod.portal.urls")),
]
