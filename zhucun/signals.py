"""Every login attempt, successful, failed or refused by the lock-out, is logged to "zhucun.auth" with the
username and the client's address. Passwords never reach these handlers' messages: Django hands
`user_login_failed` the credentials with the password already starred, and only the username is read."""

import datetime
import logging
import time

from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Max
from django.dispatch import receiver

from zhucun.middleware import LOGIN_AT_SESSION_KEY

logger = logging.getLogger("zhucun.auth")


def client_ip(request) -> str:
    if request is None:
        return "-"
    return getattr(request, "axes_ip_address", None) or get_client_ip_address(request) or "-"


@receiver(user_logged_in, dispatch_uid="zhucun_log_login")
def log_login(sender, request, user, **kwargs) -> None:
    # %r keeps a crafted username with line breaks on one log line.
    logger.info("login succeeded: username=%r ip=%s", user.get_username(), client_ip(request))
    if request is not None and SESSION_KEY in getattr(request, "session", {}):
        # The 12-hour absolute lifetime counts from this login, not from an earlier one in the same browser.
        # A token login has no logged-in session: writing here would create an anonymous one for nothing.
        request.session[LOGIN_AT_SESSION_KEY] = int(time.time())


@receiver(user_login_failed, dispatch_uid="zhucun_log_login_failed")
def log_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = (credentials or {}).get("username", "")
    locked = " (locked out)" if getattr(request, "axes_locked_out", False) else ""
    logger.warning("login failed%s: username=%r ip=%s", locked, username, client_ip(request))


@receiver(user_logged_out, dispatch_uid="zhucun_log_logout")
def log_logout(sender, request, user, **kwargs) -> None:
    username = user.get_username() if user is not None else ""
    logger.info("logout: username=%r ip=%s", username, client_ip(request))


@receiver(user_locked_out, dispatch_uid="zhucun_log_locked_out")
def log_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    logger.warning("login locked out: username=%r ip=%s", username, ip_address)
    if request is not None:
        request.zhucun_retry_at = retry_at(request=request, username=username, ip_address=ip_address)


def retry_at(*, request, username: str, ip_address: str) -> datetime.datetime | None:
    """When this username may try again from this address: the cool-off runs from the last failure, and with
    django-axes' default (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT) an attempt during the lock-out is a
    failure too, already recorded when this signal is sent."""
    cool_off = get_cool_off(request)
    last = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(last=Max("attempt_time"))
    if cool_off is None or last["last"] is None:
        return None
    return last["last"] + cool_off
