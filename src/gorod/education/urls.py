from django.urls import path

from gorod.education import views

app_name = "education"

urlpatterns = [
    path("", views.apply, name="apply"),
    path("apply/<int:child_id>/<int:round_id>/", views.apply_form, name="apply-form"),
    path("applications/<int:application_id>/", views.application, name="application"),
    path(
        "applications/<int:application_id>/withdraw/",
        views.application_withdraw,
        name="application-withdraw",
    ),
    path("offers/<int:offer_id>/answer/", views.offer_answer, name="offer-answer"),
    path("rounds/", views.rounds, name="rounds"),
    path("admitted/", views.admitted, name="admitted"),
    path("admitted.csv", views.admitted_csv, name="admitted-csv"),
    path("demand/", views.demand, name="demand"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:claim_id>/review/", views.claim_review, name="claim-review"),
]
