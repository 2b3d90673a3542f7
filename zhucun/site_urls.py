"""Site-wide pages: login (with its two-factor step), logout, password change, the home page per role."""

from django.contrib.auth import views as auth_views
from django.urls import path

from zhucun import otp_views, site_views

urlpatterns = [
    path("", site_views.home, name="home"),
    path("accounts/login/", otp_views.LoginView.as_view(), name="login"),
    # Logout is POST only (Django 5): a link or an image tag cannot sign somebody out.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(form_class=site_views.PasswordChangeForm),
        name="password_change",
    ),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Two-factor sign-in (zhucun/two_factor.py).
    path("accounts/two-factor/", otp_views.account, name="two_factor"),
    path("accounts/two-factor/verify/", otp_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/enrol/", otp_views.enrol, name="two_factor_enrol"),
    path("accounts/two-factor/recovery-codes/", otp_views.recovery_codes, name="two_factor_recovery_codes"),
]
