"""Log redaction: defence in depth so no token or authorization code reaches a log line.

``redact()`` rewrites text; ``RedactSecretsFilter`` applies it to a whole record: the
message, the traceback (``exc_info``/``exc_text``) and ``stack_info``. The gunicorn
logger (``socialsite.gunicorn_logging``) uses both for the access and error logs.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

# Query-string, form or JSON-ish values of these names, and bearer credentials in headers.
_SECRET_NAMES = (
    r"access_token|refresh_token|id_token|client_secret|fb_exchange_token|input_token|"
    r"appsecret_proof|token|code_verifier|signed_request|sync_token|synctoken|pagetoken|"
    r"page_token|password"
)
_SECRET_PARAM = re.compile(rf"(?i)\b({_SECRET_NAMES})=([^&\s\"'<>]+)")
# The same names as JSON or repr keys: "access_token": "…", 'access_token': '…'.
_SECRET_ITEM = re.compile(rf"(?i)([\"'])({_SECRET_NAMES}|code)\1(\s*:\s*)([\"'])([^\"']*)\4")
# ``code=`` is an authorization code, except when it is an error-code name: snake_case
# words like ``session_context_missing`` or ``invalid_grant`` are what social-core and the
# providers log as error codes, and no provider issues authorization codes that look like
# that (Google: ``4/0A…``, Facebook: ``AQ…``, GitHub: 20 hex digits). Percent-encoded
# codes (``4%2F0A…``, as they appear in a URL) are codes too.
_CODE_PARAM = re.compile(r"(?i)\bcode=([A-Za-z0-9._~/+%=-]{8,})")
_ERROR_CODE_NAME = re.compile(r"[a-z]+(?:_[a-z]+)*")
_BEARER = re.compile(r"(?i)\b(bearer|oauth)\s+[A-Za-z0-9._~+/=%-]{8,}")
REDACTED = "[redacted]"


def _code(match: re.Match[str]) -> str:
    value = match.group(1)
    if _ERROR_CODE_NAME.fullmatch(value):
        return match.group(0)
    return "code=" + REDACTED


def _item(match: re.Match[str]) -> str:
    quote, name, colon, value_quote, value = match.groups()
    if name.lower() == "code" and _ERROR_CODE_NAME.fullmatch(value):
        return match.group(0)
    return f"{quote}{name}{quote}{colon}{value_quote}{REDACTED}{value_quote}"


def redact(text: str) -> str:
    """``text`` with every token, secret and authorization code replaced by ``[redacted]``."""
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _SECRET_ITEM.sub(_item, text)
    text = _CODE_PARAM.sub(_code, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


def without_query(url: str) -> str:
    """A URL or request target with its query string (and fragment) cut off.

    A callback's query carries the authorization code and state, and any URL's query may
    carry a token; the path alone says which page was asked for.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0]
    if not parts.query and not parts.fragment:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record with secrets replaced by ``[redacted]``: message, traceback, stack.

    The traceback is rendered here, redacted into ``exc_text`` (which every ``Formatter``
    prints as it is), and the live exception dropped from the record, so no handler can
    render it again from the original objects, whose messages and chained causes may hold
    a URL with a code or a token in it.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            message = None
        if message is not None:
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[0] is not None:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
