from django.urls import path

from gorod.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.bookings, name="bookings"),
    path("book/", views.book, name="book"),
    path("office/", views.office_day, name="office"),
    path("bookings/<int:booking_id>/", views.booking, name="booking"),
    path("bookings/<int:booking_id>/confirm/", views.booking_confirm, name="confirm"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="cancel"),
]
