"""Container health checks (docker-compose.yml): `python scripts/healthcheck.py web|beat`; exit 0 when healthy.

web   GET /healthz on the local gunicorn (database and broker), as the proxy would send it: with an allowed host
      name and X-Forwarded-Proto: https, so neither ALLOWED_HOSTS nor the https redirect turns the probe away.
beat  the beat process named in its pid file is alive and the broker it sends to accepts a connection.
The worker's check is Celery's own: `celery -A zhucun inspect ping -d celery@$HOSTNAME`.
Deliberately without Django: a check runs every few seconds and must be cheap.
"""

import os
import sys
import urllib.request


def web() -> bool:
    host = next((name.strip() for name in os.environ.get("ALLOWED_HOSTS", "").split(",") if name.strip()), "localhost")
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": host.lstrip("."), "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (a fixed http URL on loopback)
            body = response.read().decode()
            print(body)
            return response.status == 200
    except OSError as error:
        print(error)
        return False


def beat() -> bool:
    import redis

    pidfile = os.environ.get("CELERY_BEAT_PIDFILE", "/tmp/celerybeat.pid")  # noqa: S108 (the container's own /tmp)
    try:
        with open(pidfile) as handle:
            os.kill(int(handle.read().strip()), 0)
    except (OSError, ValueError) as error:
        print(f"beat is not running: {error}")
        return False
    try:
        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"], socket_connect_timeout=3).ping()
    except (KeyError, redis.RedisError) as error:
        print(f"the broker does not answer: {error}")
        return False
    return True


if __name__ == "__main__":
    checks = {"web": web, "beat": beat}
    if len(sys.argv) != 2 or sys.argv[1] not in checks:
        sys.exit("usage: healthcheck.py web|beat")
    sys.exit(0 if checks[sys.argv[1]]() else 1)
