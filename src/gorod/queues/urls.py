from django.urls import path

from gorod.queues import views

app_name = "queues"

urlpatterns = [
    path("", views.offices, name="offices"),
    path("<int:office_id>/kiosk/", views.kiosk, name="kiosk"),
    path("<int:office_id>/kiosk/take/", views.kiosk_take, name="kiosk-take"),
    path("<int:office_id>/board/", views.board, name="board"),
    path("<int:office_id>/board/rows/", views.board_rows, name="board-rows"),
    path("<int:office_id>/figures/", views.figures, name="figures"),
    path("ticket/<str:token>/", views.ticket, name="ticket"),
    path("ticket/<str:token>/status/", views.ticket_status, name="ticket-status"),
    path("ticket/<str:token>/cancel/", views.ticket_cancel, name="ticket-cancel"),
    path("counters/", views.counters, name="counters"),
    path("counters/<int:counter_id>/", views.counter, name="counter"),
    path("counters/<int:counter_id>/waiting/", views.counter_waiting, name="counter-waiting"),
    path("my-office/", views.my_office, name="my-office"),
]
