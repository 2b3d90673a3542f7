"""`make serve`: the production shape without containers, from the virtualenv against a local PostgreSQL and Redis.

Prepares the database like `make run` (creates it if missing, migrates, loads the geography and the indicator
catalogue, seeds the demo and computes its statistics when empty), collects the static files, then runs gunicorn,
one Celery worker and exactly one Celery beat as child processes and stops them together: on Ctrl-C (or SIGTERM)
every child gets SIGTERM and a graceful stop, and if any child dies the others are stopped too.

Production settings (DEBUG=0, hashed static files, JSON logs) with plain http allowed on loopback only
(ZHUCUN_PLAIN_HTTP=1), and two-factor sign-in switched off (ZHUCUN_REQUIRE_2FA=0) so the demo accounts sign in with
their password as in `make run`; `ZHUCUN_REQUIRE_2FA=1 make serve` tries it (admins and auditors enrol at their first
sign-in). Every variable below may be set in the environment instead; README.md, "Running the production shape
without containers", lists them.
"""

import argparse
import base64
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".serve"
BIN = Path(sys.executable).parent
GRACE_SECONDS = 30

DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/zhucun_serve",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    "CACHE_URL": "redis://127.0.0.1:6379/2",  # the statistics cache, shared by gunicorn and the worker
    "DEBUG": "0",
    "ZHUCUN_PLAIN_HTTP": "1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,[::1]",
    "DATABASE_CONN_MAX_AGE": "60",
    # A local demo on loopback: the demo accounts have no authenticator (production's default is on).
    "ZHUCUN_REQUIRE_2FA": "0",
}


def say(message: str) -> None:
    print(f"[serve] {message}", flush=True)


def kept_secret(name: str, make) -> str:
    """A random secret made once and kept in .serve/<name> (readable by its owner only), so sessions, and the
    resident ID numbers encrypted with it, survive a restart."""
    path = STATE / name
    if not path.exists():
        STATE.mkdir(exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(make())
    return path.read_text().strip()


def fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def environment() -> dict[str, str]:
    env = dict(os.environ)
    for name, value in DEFAULTS.items():
        env.setdefault(name, value)
    # Its own media folder: exports of this stack never mix with the SQLite demo's or the tests' (under media/).
    env.setdefault("MEDIA_ROOT", str(STATE / "media"))
    env.setdefault("SECRET_KEY", kept_secret("secret_key", lambda: secrets.token_urlsafe(50)))
    # Personal data at rest (teams/fields.py): a Fernet key (32 random bytes, url-safe base64) and the hash key.
    env.setdefault("ZHUCUN_FIELD_KEYS", kept_secret("field_key", fernet_key))
    env.setdefault("ZHUCUN_HASH_KEY", kept_secret("hash_key", lambda: secrets.token_urlsafe(50)))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the PostgreSQL database of DATABASE_URL does not exist yet."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return
    params = {"host": config["HOST"] or None, "port": config["PORT"] or None, "user": config["USER"] or None}
    if config["PASSWORD"]:
        params["password"] = config["PASSWORD"]
    try:
        connection = psycopg2.connect(dbname="postgres", **params)
    except psycopg2.OperationalError as error:
        sys.exit(f"[serve] PostgreSQL does not answer at {config['HOST']}:{config['PORT']}: {error}")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            say(f"created database {config['NAME']}")
    connection.close()


def ensure_broker(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        sys.exit(f"[serve] Redis does not answer at {url}: {error}")


def run(command: list[str], env: dict[str, str]) -> None:
    completed = subprocess.run(command, cwd=ROOT, env=env)  # noqa: S603 (our own commands)
    if completed.returncode != 0:
        sys.exit(f"[serve] failed ({completed.returncode}): {' '.join(command)}")


def prepare(env: dict[str, str]) -> None:
    ensure_database(env["DATABASE_URL"])
    ensure_broker(env["CELERY_BROKER_URL"])
    # The same steps as `make run` (migrate, areas, indicators, the demo and its statistics when empty, the users).
    run(["make", "--no-print-directory", "serve-prepare"], env)
    run([str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"], env)


def children(host: str, port: int, env: dict[str, str]) -> dict[str, list[str]]:
    celery = str(BIN / "celery")
    return {
        "web": [
            str(BIN / "gunicorn"),
            "zhucun.wsgi:application",
            "--config",
            str(ROOT / "scripts" / "gunicorn.conf.py"),
            "--bind",
            f"{host}:{port}",
        ],
        "worker": [
            celery,
            "--app",
            "zhucun",
            "worker",
            "--hostname",
            "zhucun-serve@%h",
            "--concurrency",
            env.get("CELERY_CONCURRENCY", "2"),
            "--loglevel",
            "INFO",
        ],
        # Exactly one beat: its pid file makes a second `make serve` on this checkout refuse to start another.
        "beat": [
            celery,
            "--app",
            "zhucun",
            "beat",
            "--schedule",
            str(STATE / "celerybeat-schedule"),
            "--pidfile",
            str(STATE / "celerybeat.pid"),
            "--loglevel",
            "INFO",
        ],
    }


def wait_healthy(url: str, processes: dict[str, subprocess.Popen], stopping: list, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping:
        if any(process.poll() is not None for process in processes.values()):
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http on loopback)
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to every child's process group (gunicorn, the worker and beat each stop gracefully), then SIGKILL
    whatever is still running after GRACE_SECONDS."""
    for name, process in processes.items():
        if process.poll() is None:
            say(f"stopping {name} (pid {process.pid})")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in {GRACE_SECONDS} s: killed")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--skip-prepare", action="store_true", help="start the processes only")
    options = parser.parse_args()

    env = environment()
    if not options.skip_prepare:
        prepare(env)
    else:
        ensure_broker(env["CELERY_BROKER_URL"])

    stopping = []

    def on_signal(signum, frame):
        # Ctrl-C may arrive twice (from the terminal and again from make): one stop is enough.
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    processes: dict[str, subprocess.Popen] = {}
    for name, command in children(options.host, options.port, env).items():
        # A session of their own: the terminal's Ctrl-C reaches only this supervisor, which stops them in order.
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
        say(f"started {name} (pid {processes[name].pid})")

    base = f"http://{options.host}:{options.port}"
    if wait_healthy(f"{base}/healthz", processes, stopping):
        say(f"驻村工作队管理系统 (production shape): {base}/  (Ctrl-C stops web, worker and beat)")
        if env["ZHUCUN_REQUIRE_2FA"].strip().lower() in {"0", "false", "no", "off", ""}:
            say("two-factor sign-in is off for this local demo (ZHUCUN_REQUIRE_2FA=0); production requires it")
        else:
            say("two-factor sign-in is on: admins and auditors bind an authenticator app at their first sign-in")
    exit_code = 0
    while not stopping:
        ended = [name for name, process in processes.items() if process.poll() is not None]
        if ended:
            say(f"{', '.join(ended)} ended (exit {processes[ended[0]].returncode}): stopping the others")
            exit_code = 1
            break
        time.sleep(0.5)
    stop(processes)
    say("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
