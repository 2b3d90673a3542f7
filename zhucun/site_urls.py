"""Site-wide pages: login, logout, password change, the home page per role."""

from django.contrib.auth import views as auth_views
from django.urls import path

from zhucun import site_views

urlpatterns = [
    path("", site_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Logout is POST only (Django 5): a link or an image tag cannot sign somebody out.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(form_class=site_views.PasswordChangeForm),
        name="password_change",
    ),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
