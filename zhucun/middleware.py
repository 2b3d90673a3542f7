import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

LOGIN_AT_SESSION_KEY = "zhucun_login_at"
SAVED_AT_SESSION_KEY = "zhucun_saved_at"


class AbsoluteSessionLifetimeMiddleware:
    """Both session lifetimes of a signed-in user.

    Idle (SESSION_COOKIE_AGE, 30 min): the session row's expiry is moved on by saving the session, but not on every
    request (that was an UPDATE and a commit per request): only when the last save is SESSION_REFRESH_SECONDS (60 s)
    old or more. The save time is kept in the session itself, so deciding costs nothing. A session therefore ends
    between 30 minutes minus SESSION_REFRESH_SECONDS and 30 minutes after the last request: the idle limit holds to
    within a minute, never longer.

    Absolute (SESSION_ABSOLUTE_SECONDS, 12 h): the session ends that long after login, however active it was.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            session = request.session
            started = session.get(LOGIN_AT_SESSION_KEY)
            now = int(time.time())
            if started is None:
                session[LOGIN_AT_SESSION_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect_to_login(request.get_full_path())
            # Login saved the session (and set LOGIN_AT): it counts as the first save.
            saved = session.get(SAVED_AT_SESSION_KEY, started)
            if saved is None or now - saved >= settings.SESSION_REFRESH_SECONDS:
                session[SAVED_AT_SESSION_KEY] = now  # modifies the session: SessionMiddleware saves it, expiry +30 min
        return self.get_response(request)
