from django.urls import path

from gorod.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.bookings, name="bookings"),
    path("book/", views.book, name="book"),
    path("book/earliest/", views.book_earliest, name="earliest"),
    path("office/", views.office_day, name="office"),
    path("office/book/", views.desk_book_page, name="desk-book"),
    path("office/book/visitor/", views.desk_visitor_find, name="desk-find"),
    path("office/book/visitor/forget/", views.desk_visitor_forget, name="desk-forget"),
    path("office/book/time/", views.desk_book, name="desk-take"),
    path("office/bookings/<int:booking_id>/confirm/", views.desk_confirm, name="desk-confirm"),
    path("office/bookings/<int:booking_id>/cancel/", views.desk_cancel, name="desk-cancel"),
    path("bookings/<int:booking_id>/", views.booking, name="booking"),
    path("bookings/<int:booking_id>/confirm/", views.booking_confirm, name="confirm"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="cancel"),
]
