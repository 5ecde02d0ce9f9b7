"""gunicorn settings for ``make serve``: https://docs.gunicorn.org/en/stable/settings.html

The bind address stays on the command line (``make serve`` passes ``127.0.0.1:$PORT``).
"""

import os

wsgi_app = "socialsite.wsgi"
workers = int(os.environ.get("WEB_CONCURRENCY") or 3)
threads = 4
# A request (a sign-in callback with its provider calls) that takes longer is killed.
timeout = 30
graceful_timeout = 20
accesslog = "-"  # stdout
errorlog = "-"  # stderr
# Access and error logs without query strings, credentials or tokens (see the class).
logger_class = "socialsite.gunicorn_logger.RedactingLogger"
