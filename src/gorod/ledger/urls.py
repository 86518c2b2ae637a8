from django.urls import path

from gorod.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.log, name="log"),
    path("entries/<int:index>/", views.entry, name="entry"),
    path("my-access/", views.my_access, name="my-access"),
    path("receipts/verify/", views.receipt_verify, name="receipt-verify"),
]
