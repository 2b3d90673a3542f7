"""p50/p95 of the team list page and API on the demo data, per role, in-process (Django test client).

    .venv/bin/python benchmarks/team_list.py            # against DATABASE_URL (default: the demo db.sqlite3)
    .venv/bin/python benchmarks/team_list.py -n 100

The client runs the whole Django stack (middleware, auth, scope, templates, serializers) without a network
hop; the gunicorn numbers under concurrency belong to benchmarks/web.py (issue 7).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhucun.settings")

import django

django.setup()

import logging  # noqa: E402

logging.disable(logging.INFO)  # the login lines of every user would drown the figures

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

URLS = [
    ("page  /teams/", "/teams/"),
    ("page  /teams/?q=居委会", "/teams/?q=%E5%B1%85%E5%A7%94%E4%BC%9A"),
    ("api   /api/v1/work-teams/", "/api/v1/work-teams/"),
    ("api   /api/v1/work-teams/?page_size=200", "/api/v1/work-teams/?page_size=200"),
]
USERS = ["region_admin", "duilong_admin", "unit_liaison", "nanga_leader"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50, help="requests per URL and user")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}; {args.n} requests each")
    print(f"{'user':<14} {'url':<42} {'status':>6} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    User = get_user_model()
    for username in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            print(f"{username}: no such user (run seed_demo)")
            continue
        client = Client()
        client.force_login(user)
        for label, url in URLS:
            client.get(url)  # warm caches and connections
            with CaptureQueriesContext(connection) as queries:
                status = client.get(url).status_code
            query_count = len(queries.captured_queries)
            timings = []
            for _ in range(args.n):
                reset_queries()
                started = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            print(
                f"{username:<14} {label:<42} {status:>6} {query_count:>7} {statistics.median(timings):>8.1f} "
                f"{percentile(timings, 0.95):>8.1f} {max(timings):>8.1f}"
            )


if __name__ == "__main__":
    main()
