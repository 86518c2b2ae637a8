from django.urls import URLPattern, path

from gorod.people import views

app_name = "people"

urlpatterns: list[URLPattern] = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-up/", views.sign_up, name="sign-up"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("profile/", views.profile, name="profile"),
    path("profile/edit/", views.profile_edit, name="profile-edit"),
    path("profile/address/", views.address, name="address"),
    path("children/", views.children, name="children"),
    path("children/add/", views.child_add, name="child-add"),
    path("officials/", views.officials, name="officials"),
    path("officials/new/", views.official_create, name="official-create"),
]
