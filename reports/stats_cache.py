"""The statistics API's answers, cached (Django's cache: Redis in production, see CACHES in zhucun/settings.py).

An answer depends only on what the user may see (their VIEW scope: area prefixes, units, teams, or everything), the
endpoint, its query parameters, the figures and completeness in the store, and today's date (the defaults: latest
period, the month already due). So it is kept under a key made of these, together with the version of the store
it was computed from, and served only while that version is the current one:

    stats:<endpoint>:sha256(scope, normalized parameters, today)  →  (store version, answer)

- scope, not the user: two county admins of the same county share answers, two counties never do; the key holds
  no user id, name or anything personal (the hash hides even the area codes);
- the normalized parameters: those the endpoint reads (others ignored), blanks dropped, sorted (`?kind=half&area=`
  and `?area=&kind=half&x=1` are one answer); they are checked only when the answer is computed, and a parameter
  that fails the check raises before anything is kept, so a kept answer always had valid parameters;
- the store version: a random token kept in the cache, replaced (`bump_stats_version`) after every write of
  figures or completeness has committed (reports/tasks.py, the rollup_rebuild command). A replaced version retires
  every earlier answer at once (the next read computes and replaces it); a missing version (the cache was flushed,
  or Redis restarted) is replaced by a fresh random one, never by a number an earlier answer may have used. The
  version and the entry are read in one round trip.

Only successful answers are kept: a 400, 403 or 404 is raised before anything is stored. Every entry also expires
after STATS_CACHE_SECONDS, which bounds how long a change that bumps nothing (an area or indicator renamed in the
Django admin) takes to show. If the cache fails (Redis down), the answer is computed as if nothing were cached and
the failure logged: the dashboard is slower, never wrong.
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from zhucun.scope import Scope

logger = logging.getLogger(__name__)

VERSION_KEY = "stats:version"
STATS_CACHE_SECONDS = 10 * 60


def _new_version() -> str:
    return secrets.token_hex(8)


def stats_version() -> str:
    """The store's current version; a fresh random one if the cache holds none."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = _new_version()
        if not cache.add(VERSION_KEY, version, timeout=None):  # another process made one first: theirs counts
            version = cache.get(VERSION_KEY) or version
    return version


def replace_stats_version() -> None:
    """Retire every cached answer now (bump_stats_version waits for the commit)."""
    try:
        cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:
        logger.exception(
            "the statistics cache version could not be replaced: answers may be stale for up to %s s",
            STATS_CACHE_SECONDS,
        )


def bump_stats_version() -> None:
    """Make every cached answer unreachable, once the current transaction (if any) has committed: a reader that
    comes in between still finds the old figures, under the old version, which is then retired."""
    transaction.on_commit(replace_stats_version)


def answer_key(endpoint: str, scope: Scope, params: Mapping[str, Any]) -> str:
    normalized = sorted((name, str(value)) for name, value in params.items() if value is not None and value != "")
    material = json.dumps(
        {
            "scope": [scope.everything, list(scope.area_prefixes), list(scope.unit_ids), list(scope.team_ids)],
            "params": normalized,
            "today": timezone.localdate().isoformat(),
        },
        sort_keys=True,
    )
    return f"stats:{endpoint}:{hashlib.sha256(material.encode()).hexdigest()}"


def cached_answer(endpoint: str, scope: Scope, params: Mapping[str, Any], compute: Callable[[], Any]) -> Any:
    """The cached answer for this scope, endpoint and parameters, or `compute()`'s, then kept. Exceptions of
    `compute` (400, 403, 404) pass through and nothing is kept. One round trip to the cache when it answers:
    the current version and the entry together."""
    key = answer_key(endpoint, scope, params)
    try:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or stats_version()
    except Exception:
        logger.exception("the statistics cache could not be read; answering without it")
        return compute()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    answer = compute()
    try:
        cache.set(key, (version, answer), timeout=STATS_CACHE_SECONDS)
    except Exception:
        logger.exception("the statistics cache could not be written")
    return answer
