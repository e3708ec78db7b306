"""gunicorn settings for ``manage.py serve`` (also usable directly: ``gunicorn -c python:rapport.ops.gunicorn_conf``).

Everything is read from the environment so that one file serves every machine:
``WEB_BIND`` (default 127.0.0.1:8000), ``WEB_WORKERS`` (default 2 x cores + 1, at most 8),
``WEB_THREADS`` (1), ``WEB_TIMEOUT`` (30 s), ``WEB_KEEPALIVE`` (75 s),
``WEB_MAX_REQUESTS`` (2000, with jitter, so a slow leak
cannot grow forever). Access and error logs are JSON lines on stdout like the app's own logs.
"""

from __future__ import annotations

import os

wsgi_app = "rapport.wsgi:application"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_WORKERS") or min(8, 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# Idle keep-alive connections must outlive the client's (or load balancer's) idea of them: when the
# server closes one at the moment a client reuses it, that request fails with a reset. 75 s is
# longer than common balancer idle timeouts (60 s) and than a person's pause between clicks.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
preload_app = False  # each worker opens its own database pool after the fork
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "1") != "0" else None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "rapport.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# gunicorn's control socket lives at one path per user; several servers on one machine (the
# multi-process test, a blue/green switch) would fight over it. Rapport does not use it.
control_socket_disable = True
