"""The Celery app. With no broker configured (development, or TASKS_INLINE), tasks run inline."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from socialsite.logging import RedactSecretsFilter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialsite.settings")

app = Celery("socialsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def redact_worker_logs(logger: logging.Logger, **_: Any) -> None:
    """The worker replaces Django's log handlers with its own: give them the same redaction.

    Celery logs a failed task's exception repr and traceback; the filter redacts both.
    """
    for handler in logger.handlers:
        if not any(isinstance(existing, RedactSecretsFilter) for existing in handler.filters):
            handler.addFilter(RedactSecretsFilter())
