"""gunicorn's settings for every production start (`make serve`, the Dockerfile, docker-compose.yml, the web benchmark):
`gunicorn zhucun.wsgi:application -c scripts/gunicorn.conf.py`. Each value may be overridden on the command line or
through GUNICORN_CMD_ARGS.

Workers: WEB_CONCURRENCY, default cores + 1. Requests are CPU-bound in Python, so one worker per core plus one to
run while another waits on PostgreSQL keeps the cores busy; more only add switching (measured on 2 cores with
PostgreSQL on the same host: 3 workers served the dashboard's totals 22% faster than 5 and 31% faster than 8;
benchmarks/README.md, "Web under load"). With the database on another host, requests wait longer: raise it.
"""

import multiprocessing
import os

# gunicorn puts its working directory (--chdir, default the current one: the repository) on sys.path first.
from zhucun.logging_filters import logging_config

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
# An export or a big page may take a while; a stuck request is killed after this many seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
# Recycle workers now and then so a slow leak never grows without bound (jitter: not all at once).
max_requests = 5000
max_requests_jitter = 500
# Headers of the proxy in front (it sets X-Forwarded-Proto; Django reads it through SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

# gunicorn's own lines (start-up, worker restarts, the access log) as JSON or plain like Django's (LOG_FORMAT),
# with resident ID and mobile numbers masked: a query string such as ?q=<ID number> is in the access line.
_debug = os.environ.get("DEBUG", "1").strip().lower() in {"1", "true", "yes", "on"}
_format = os.environ.get("LOG_FORMAT", "plain" if _debug else "json")
logconfig_dict = logging_config(
    _format if _format in {"json", "plain"} else "json", console_loggers=("gunicorn.error", "gunicorn.access")
)
