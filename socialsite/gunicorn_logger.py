"""gunicorn's logger for socialsite: no query string, token or cookie in the access or error log.

Why a logger class rather than a custom ``access_log_format``: a format only hides the
query string as long as nobody adds ``%(r)s``, ``%(q)s``, ``%(f)s`` or an ``{…}i`` header
atom back (gunicorn's default format prints the Referer, and a page opened from a
``/complete/…?code=…`` URL sends exactly that URL as the Referer of its next request).
This class cleans the atoms themselves, whatever format an operator picks: every request
target and URL loses its query string, on every path (a callback's ``code`` and ``state``
are the obvious secrets, but any query may carry a token), credentials in headers are
dropped, and every remaining value goes through ``socialsite.logging.redact``. The error
log gets the same ``RedactSecretsFilter`` as Django's own log (message and traceback).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from socialsite.logging import REDACTED, RedactSecretsFilter, redact, without_query

# Atoms holding a request target or a URL: printed without their query string.
_URL_ATOMS = frozenset(
    {"U", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{http_referer}e", "{request_uri}e"}
)
# Atoms holding only a query string or a credential: never printed.
_SECRET_ATOMS = frozenset(
    {
        "q",
        "{query_string}e",
        "{authorization}i",
        "{cookie}i",
        "{set-cookie}o",
        "{http_authorization}e",
        "{http_cookie}e",
        "{x-hub-signature-256}i",
    }
)


def clean_atoms(atoms: dict[str, Any], environ: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's access-log atoms with no query string or credential left in them."""
    cleaned: dict[str, Any] = {}
    for name, value in atoms.items():
        if name == "r":
            value = "{} {} {}".format(
                environ.get("REQUEST_METHOD", "-"),
                without_query(str(environ.get("RAW_URI", "-"))),
                environ.get("SERVER_PROTOCOL", "-"),
            )
        elif name in _SECRET_ATOMS:
            value = REDACTED if value else value
        elif name in _URL_ATOMS and isinstance(value, str):
            value = without_query(value)
        if isinstance(value, str):
            value = redact(value)
        cleaned[name] = value
    return cleaned


class RedactingLogger(Logger):
    """gunicorn's ``Logger`` with query strings, credentials and secrets kept out of both logs."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        return clean_atoms(super().atoms(resp, req, environ, request_time), environ)

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
                    handler.addFilter(RedactSecretsFilter())
