"""Log redaction: defence in depth so no token or authorization code reaches a log line."""

from __future__ import annotations

import logging
import re

# Query-string or form values of these names, and bearer credentials in headers. A `code=`
# is redacted only when it looks like an authorization code, not an error code name.
_SECRET_PARAM = re.compile(
    r"(?i)\b(access_token|refresh_token|id_token|client_secret|fb_exchange_token|"
    r"input_token|appsecret_proof|token|code_verifier|signed_request)=([^&\s\"']+)"
)
_CODE_PARAM = re.compile(r"(?i)\bcode=([A-Za-z0-9._~/+-]{20,})")
_BEARER = re.compile(r"(?i)\b(bearer|oauth)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact(text: str) -> str:
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _CODE_PARAM.sub("code=[redacted]", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message with secrets replaced by ``[redacted]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
