from django.urls import path

from gorod.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("cabinet/", views.cabinet, name="cabinet"),
    path("cabinet/home/", views.my_home, name="my-home"),
    path("cabinet/notifications/", views.notifications, name="notifications"),
    path("cabinet/notifications/read/", views.notifications_read, name="notifications-read"),
]
