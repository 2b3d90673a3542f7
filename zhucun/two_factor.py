"""Two-factor sign-in (TOTP, django-otp): who is asked for a second factor, and the gate that asks.

Decisions (README, "Accounts"):

- `ZHUCUN_REQUIRE_2FA` (default: on with DEBUG=0, off in the local demo). Off, nobody is asked for a second factor,
  whatever devices they hold: the switch exists so the demo and the load benchmarks sign in with a password alone.
- Required: region, prefecture and county admins and auditors (`REQUIRED_ROLES`: they see and export a whole area's
  personal data), and staff and superusers (the Django admin can do everything). A required user without an
  authenticator is sent to enrol before any other page or API call works.
- Everybody else (team leaders, members, liaisons) may enrol of their own accord on the account page; once they have
  a confirmed authenticator, they are asked for a code at every sign-in like the required roles.
- The second step follows the password step in the same session: Django's login happens first (so django-axes and
  the login log work as before), and until the session is verified (`otp_login`) every page redirects to the code
  page and every API request answers 403. The API token is handed out only with a code (zhucun/api_views.py);
  enrolling and a reset delete the user's token, and an older token of a required user without an authenticator is
  refused until they enrol.
- Passing the second step gives the session a new key (as the password step did).
- A wrong code counts as a failed login for django-axes (same username and address, same limit), on top of
  django-otp's own throttling (1, 2, 4 ... seconds between tries on a device after failures). When the limit is
  reached the session ends and the lock-out page is shown.
- Ten one-time recovery codes (otp_static) are made at enrolment and shown once; a new set replaces the old.
- A lost phone: a region admin deletes the person's authenticator in the Django admin (users: action "重置双因素验证"),
  and the person enrols again at the next sign-in.
- Every step is logged to "zhucun.auth" (verified, failed, enrolled, recovery codes made, reset); never a code, a
  recovery code or a secret key.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from zhucun.choices import Role
from zhucun.signals import client_ip

logger = logging.getLogger("zhucun.auth")

REQUIRED_ROLES = (Role.REGION_ADMIN, Role.PREFECTURE_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR)
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "验证器"
STATIC_DEVICE_NAME = "恢复码"

VERIFY = "verify"
ENROL = "enrol"

API_DETAIL = {
    VERIFY: "请先在网页上输入验证器中的动态验证码，完成双因素验证后再访问。",
    ENROL: "您的账号须先在网页上绑定验证器（双因素验证）后才能访问。",
}


# -- policy ------------------------------------------------------------------------------------------------


def enforced() -> bool:
    return bool(settings.ZHUCUN_REQUIRE_2FA)


def is_required(user) -> bool:
    """Whether the user must have a second factor (when the setting is on)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return user.roles.filter(role__in=REQUIRED_ROLES).exists()


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def has_authenticator(user) -> bool:
    return user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_verified(request) -> bool:
    """Whether this session passed the second factor (django-otp's OTPMiddleware sets `is_verified`)."""
    user = getattr(request, "user", None)
    check = getattr(user, "is_verified", None)
    if check is not None:
        return bool(check())
    return False


def pending_step(request) -> str | None:
    """What the signed-in user must do before anything else: VERIFY (a code), ENROL (bind an authenticator), or
    None (nothing: the setting is off, the session is verified, or the user needs no second factor)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not enforced():
        return None
    if session_verified(request):
        return None
    if has_authenticator(user):
        return VERIFY
    if is_required(user):
        return ENROL
    return None


def step_url(step: str, next_url: str = "") -> str:
    url = reverse("two_factor_verify" if step == VERIFY else "two_factor_enrol")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# -- the gate ----------------------------------------------------------------------------------------------

# URL names a signed-in user may reach before the second step: the steps themselves, signing out, the health probe,
# and the token endpoint (it asks for a code itself). Static files never reach this (whitenoise answers first).
OPEN_URL_NAMES = {"login", "logout", "two_factor_verify", "two_factor_enrol", "healthz", "api:token"}


class TwoFactorMiddleware:
    """Refuses every page and API request of a signed-in user whose session still owes the second factor: pages
    redirect to the code (or enrolment) page with `next`, the API answers 403 with a Chinese detail. A token
    request carries no session (DRF's token authentication): tokens are handed out only with a code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_URL_NAMES:
            return None
        step = pending_step(request) or self.token_step(request)
        if step is None:
            return None
        if request.path.startswith("/api/") and (match is None or match.view_name != "api-docs"):
            return JsonResponse({"detail": API_DETAIL[step]}, status=403, json_dumps_params={"ensure_ascii": False})
        return redirect(step_url(step, request.get_full_path()))

    @staticmethod
    def token_step(request) -> str | None:
        """An API token of a user who must have an authenticator and has none (a token made before the setting was
        turned on): refused until they enrol. Enrolling, and a reset, delete the user's token; a new one is handed
        out only with a code."""
        if not enforced() or getattr(request, "user", None) is None or request.user.is_authenticated:
            return None
        words = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(words) != 2 or words[0].lower() != "token":
            return None
        token = Token.objects.filter(key=words[1]).select_related("user").first()
        if token is None or not is_required(token.user) or has_authenticator(token.user):
            return None
        return ENROL


# -- verification ------------------------------------------------------------------------------------------


def normalize(code: str) -> str:
    """A code as typed: spaces and dashes dropped (recovery codes are shown as abcd-efgh), lower case."""
    return "".join(code.split()).replace("-", "").lower()


def confirmed_devices(user) -> list:
    return [*TOTPDevice.objects.filter(user=user, confirmed=True), *StaticDevice.objects.filter(user=user)]


def throttled_seconds(user, *devices) -> int:
    """Seconds before django-otp lets these devices (default: the user's confirmed ones) try a code again after
    failures (1, 2, 4 ... seconds); 0: now."""
    from django.utils import timezone

    waits = []
    for device in devices or confirmed_devices(user):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append((data["locked_until"] - timezone.now()).total_seconds())
    return int(max(waits)) + 1 if waits else 0


def check_code(user, code: str):
    """The device that accepts `code` (a 6-digit TOTP code, or one of the recovery codes, used up by this), or None.
    Wrong codes count towards django-otp's throttling of that device."""
    code = normalize(code)
    if not code:
        return None
    with transaction.atomic():
        if code.isdigit() and len(code) == 6:
            devices = TOTPDevice.objects.filter(user=user, confirmed=True).select_for_update()
        else:
            devices = StaticDevice.objects.filter(user=user, confirmed=True).select_for_update()
        for device in devices:
            if device.verify_token(code):
                return device
    return None


def record_success(request, user, device) -> None:
    """Mark the session verified (under a new session key, as at any change of privilege) and log it (which kind
    of device, never the code)."""
    request.session.cycle_key()
    otp_login(request, device)
    kind = "recovery code" if isinstance(device, StaticDevice) else "authenticator"
    logger.info("two-factor verified (%s): username=%r ip=%s", kind, user.get_username(), client_ip(request))


def record_failure(request, user) -> bool:
    """Log a wrong code and count it as a failed login for django-axes (same username, same address). Returns True
    when that reached the lock-out limit; the caller ends the session then, and AxesMiddleware shows the page."""
    username = user.get_username()
    logger.warning("two-factor failed: username=%r ip=%s", username, client_ip(request))
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def end_locked_session(request) -> None:
    """Sign out a session whose wrong codes reached the lock-out (AxesMiddleware renders the lock-out page)."""
    logout(request)


# -- enrolment and recovery codes --------------------------------------------------------------------------


def start_enrolment(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one per user, made on first visit; its key stays until
    confirmed, so a reload shows the same QR code)."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with its first code: it replaces any earlier one, the session is verified, and ten
    fresh recovery codes are made. Returns them (to be shown once), or None when the code is wrong."""
    user = request.user
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    code = normalize(code)
    if not (code.isdigit() and len(code) == 6 and device.verify_token(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    Token.objects.filter(user=user).delete()  # a token made without a code stops working
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = make_recovery_codes(user)
    request.session.cycle_key()
    otp_login(request, device)
    logger.info("two-factor enrolled: username=%r ip=%s", user.get_username(), client_ip(request))
    return codes


@transaction.atomic
def make_recovery_codes(user) -> list[str]:
    """Ten new one-time recovery codes, replacing the earlier ones. Returned for display as abcd-efgh."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=STATIC_DEVICE_NAME, confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
    logger.info("two-factor recovery codes made: username=%r count=%d", user.get_username(), len(tokens))
    return [f"{token[:4]}-{token[4:]}" for token in tokens]


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reset(user, *, by=None, request=None) -> None:
    """Forget the user's authenticator and recovery codes (a lost phone): they enrol again at the next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    logger.warning(
        "two-factor reset: username=%r by=%r ip=%s",
        user.get_username(),
        by.get_username() if by is not None else "-",
        client_ip(request),
    )


@admin.action(description="重置双因素验证（丢失手机时：删除验证器和恢复码，下次登录时重新绑定）")
def reset_two_factor(modeladmin, request, queryset):
    """Django admin action on users."""
    count = 0
    for user in queryset:
        reset(user, by=request.user, request=request)
        count += 1
    modeladmin.message_user(request, f"已重置 {count} 个用户的双因素验证。", messages.SUCCESS)
