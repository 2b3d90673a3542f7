"""Enumerates the URL patterns of the site and sends the matrix's requests, each rolled back afterwards so every
(role, probe) pair meets the same world."""

import json
import re
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.authz.probes import Probe
from tests.authz.world import World

ROLE_ORDER = "RPpCcAaLlTtMmX"


def url_patterns() -> Iterator[tuple[str, str]]:
    """(full name, route) of every named URL pattern, DRF router routes and format-suffix variants included."""

    def walk(patterns, prefix: str, namespace: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                yield (
                    f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {prefix}{pattern.pattern}>",
                    (prefix + str(pattern.pattern)),
                )

    yield from walk(get_resolver().url_patterns, "", "")


def _client(world: World, role: str) -> Client:
    """One logged-in client per role for the whole run (logging in is the costly part of a request)."""
    clients = world.__dict__.setdefault("_clients", {})
    if role not in clients:
        client = Client(raise_request_exception=False)
        if world.users[role] is not None:
            client.force_login(world.users[role])
        clients[role] = client
    return clients[role]


def send(world: World, name: str, probe: Probe, role: str) -> str:
    client = _client(world, role)
    session = client.cookies.get(settings.SESSION_COOKIE_NAME)
    session_value = session.value if session else None
    url = reverse(name, kwargs=probe.kwargs(world))
    api = url.startswith("/api/")
    with transaction.atomic():
        if probe.method == "get":
            response = client.get(url, probe.query(world) if probe.query else {})
        elif api:
            body = json.dumps(probe.data(world) if probe.data else {})
            response = client.generic(probe.method.upper(), url, body, content_type="application/json")
        else:
            response = client.post(url, probe.data(world) if probe.data else {})
        changed = probe.effect is not None and probe.effect(world)
        transaction.set_rollback(True)
    # The session row the request changed (logout, login) was rolled back: keep the role's own session.
    if session_value is None:
        client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    else:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_value
    return f"{response.status_code}{'+' if changed else ''}"


def parse_expected(text: str) -> dict[str, str]:
    """ "R200 P200 p404 C302+ …" → {"R": "200", "P": "200", "p": "404", "C": "302+", …}; every role exactly once."""
    outcome = {match[0]: match[1] for match in re.findall(r"([A-Za-z])(\d{3}\+?)", text)}
    missing = set(ROLE_ORDER) - set(outcome)
    if missing or len(outcome) != len(ROLE_ORDER):
        raise AssertionError(f"expected outcome {text!r} must name each of {ROLE_ORDER} once (missing {missing})")
    return outcome


def format_outcome(outcome: dict[str, str]) -> str:
    return " ".join(f"{role}{outcome[role]}" for role in ROLE_ORDER)


def admin_url(route: str) -> str:
    """A concrete URL for a Django admin route (path converters and regex groups filled with plausible values)."""
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "teams" if m[1] == "app_label" else "1", route)
    url = re.sub(r"\(\?P<app_label>[^)]*\)", "teams", url)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "x", url)
    return "/" + url.lstrip("^").rstrip("$")
