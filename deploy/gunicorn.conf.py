"""gunicorn's settings for the web server (docs/operations.md, "Web server").

    gunicorn --config deploy/gunicorn.conf.py wsgi:app

The service's own settings come from its environment file; these are the web
server's. Two may be changed from the environment too:

- ``GUNICORN_BIND``: where to listen, ``127.0.0.1:8000`` unless set. Keep it on
  loopback (or a Unix socket, ``unix:/run/koalicja/web.sock``): only the reverse
  proxy talks to gunicorn.
- ``GUNICORN_WORKERS``: worker processes, two per CPU core unless set. With more
  than one, rate limits need Redis (``RATELIMIT_STORAGE_URI``).

A setting given on gunicorn's command line wins over this file.
"""

import multiprocessing
import os

from registration.observability import metrics
from registration.observability.logs import gunicorn_logconfig_dict

bind = [os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"]
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * multiprocessing.cpu_count())

# A worker silent for this long is killed and replaced: it also ends a request stuck on
# the database. No page or API call needs anywhere near it.
timeout = 30
# On SIGTERM (systemctl stop, restart) a worker finishes the request in hand for at most
# this long. The systemd unit's TimeoutStopSec is longer, so systemd never kills first.
graceful_timeout = 20
# nginx keeps the connection to its clients; its own connections to gunicorn are short.
keepalive = 5

# The proxy's X-Forwarded-* headers are read in one place only: the application's
# ProxyFix, as TRUSTED_PROXY_HOPS says (docs/configuration.md). gunicorn trusts no
# address to tell it the scheme, so it never second-guesses that setting.
forwarded_allow_ips = ""
secure_scheme_headers = {}

# No access log: URLs carry secrets (manage links, personal calendar feeds, ticket
# codes), see docs/operations.md, "Logs". nginx logs requests without their paths.
accesslog = None
# Errors and worker starts and stops go to standard error: the journal, under systemd.
errorlog = "-"
loglevel = "info"

# gunicornc's control socket would go under the service user's home, which the systemd
# unit makes read-only; nothing here uses it.
control_socket_disable = True

# With LOG_FORMAT=json, gunicorn's own lines (workers starting, timing out) are JSON too,
# and its access log stays off (docs/configuration.md, "Logs, readiness and metrics").
if os.environ.get("LOG_FORMAT", "").strip() == "json":
    logconfig_dict = gunicorn_logconfig_dict()

# Prometheus metrics from several worker processes (PROMETHEUS_MULTIPROC_DIR): gunicorn
# calls these two by their names. on_starting empties the folder of an earlier run's
# counts; child_exit drops a finished worker's live gauges.
on_starting = metrics.on_starting
child_exit = metrics.child_exit
