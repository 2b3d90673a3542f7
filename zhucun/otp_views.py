"""The pages of two-factor sign-in (policy and decisions: zhucun/two_factor.py).

- `LoginView`: the password step, unchanged for the user (django-axes, the login log); when the user owes a second
  factor it sends them on to the code page, or to enrolment, carrying `next`.
- `verify`: the 6-digit code of the authenticator app, or one of the recovery codes.
- `enrol`: a QR code (inline SVG drawn on the server by segno: no script, no style, so the Content Security Policy
  holds) and the secret as text for manual entry; confirmed with a first code; then the ten recovery codes, once.
- `account`: the user's two-factor status; enrol, change phones, make new recovery codes.

`next` is honoured only when it stays on this site (`url_has_allowed_host_and_scheme`), as on the login page.
"""

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from zhucun import two_factor

WRONG_CODE = "验证码不正确。请输入验证器中当前显示的 6 位数字，或一个未用过的恢复码。"
WRONG_ENROL_CODE = "验证码不正确。请确认已扫描本页的二维码，且手机时间准确，然后输入验证器中当前显示的 6 位数字。"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=20,
        error_messages={"required": "请输入验证码。", "max_length": "验证码太长。"},
    )


def safe_next(request) -> str:
    """The `next` of the request when it points into this site; otherwise empty (no open redirect)."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    hosts = {request.get_host()}
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=request.is_secure()):
        return url
    return ""


def _onward(next_url: str) -> str:
    return next_url or reverse("home")


class LoginView(auth_views.LoginView):
    """Django's login page; after the password, on to the second step when the user owes one."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        step = two_factor.pending_step(self.request)
        if step is not None:
            return redirect(two_factor.step_url(step, self.get_success_url()))
        return response


@login_required
def verify(request):
    """The second step: a code from the authenticator, or a recovery code."""
    user = request.user
    next_url = safe_next(request)
    step = two_factor.pending_step(request)
    if step == two_factor.ENROL:
        return redirect(two_factor.step_url(step, next_url))
    if step is None:
        return redirect(_onward(next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = two_factor.throttled_seconds(user)
        if wait:
            form.add_error("code", f"尝试过于频繁，请 {wait} 秒后再试。")
        else:
            device = two_factor.check_code(user, form.cleaned_data["code"])
            if device is not None:
                two_factor.record_success(request, user, device)
                if isinstance(device, StaticDevice):
                    left = two_factor.recovery_codes_left(user)
                    messages.warning(
                        request,
                        f"您使用了一个恢复码，还剩 {left} 个。"
                        "如手机丢失，请在“账号安全”中重新绑定验证器并生成新的恢复码。",
                    )
                return redirect(_onward(next_url))
            if two_factor.record_failure(request, user):
                two_factor.end_locked_session(request)
                # AxesMiddleware swaps this response for the lock-out page.
                return HttpResponse(status=429)
            form.add_error("code", WRONG_CODE)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


def qr_svg(text: str) -> str:
    """An inline <svg> QR code of `text`: paths only, no style attribute (the policy forbids inline styles)."""
    qr = segno.make(text, error="m")
    return qr.svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title="验证器二维码", svgclass="otp-qr", omitsize=True
    )


def grouped_secret(device) -> str:
    """The key as authenticator apps take it by hand: base32 in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def enrol(request):
    """Bind an authenticator app: scan (or type) the secret, confirm with a first code, keep the recovery codes."""
    user = request.user
    next_url = safe_next(request)
    step = two_factor.pending_step(request)
    if step == two_factor.VERIFY:
        # Replacing an authenticator needs a verified session: the code of the old one (or a recovery code) first.
        return redirect(two_factor.step_url(step, request.get_full_path()))
    device = two_factor.start_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = two_factor.throttled_seconds(user, device)
        codes = None if wait else two_factor.confirm_enrolment(request, device, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "registration/two_factor_codes.html",
                {"codes": codes, "onward": _onward(next_url), "enrolled": True},
            )
        form.add_error("code", f"尝试过于频繁，请 {wait} 秒后再试。" if wait else WRONG_ENROL_CODE)
    context = {
        "form": form,
        "next": next_url,
        "required": two_factor.enforced() and two_factor.is_required(user),
        "replacing": two_factor.has_authenticator(user),
        "qr_svg": mark_safe(qr_svg(device.config_url)),  # noqa: S308 (segno's SVG of our own otpauth URL)
        "secret": grouped_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "account": user.get_username(),
    }
    return render(request, "registration/two_factor_enrol.html", context)


@login_required
def account(request):
    """The user's two-factor status."""
    user = request.user
    device = two_factor.totp_device(user)
    context = {
        "enforced": two_factor.enforced(),
        "required": two_factor.is_required(user),
        "device": device,
        "codes_left": two_factor.recovery_codes_left(user) if device else 0,
        "verified": two_factor.session_verified(request),
    }
    return render(request, "registration/two_factor_account.html", context)


@login_required
@require_POST
def recovery_codes(request):
    """Ten new recovery codes, replacing the old ones, shown once."""
    user = request.user
    if not two_factor.has_authenticator(user):
        messages.error(request, "请先绑定验证器，再生成恢复码。")
        return redirect("two_factor")
    codes = two_factor.make_recovery_codes(user)
    context = {"codes": codes, "onward": reverse("two_factor"), "enrolled": False}
    return render(request, "registration/two_factor_codes.html", context)
