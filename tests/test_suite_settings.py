"""The suite runs on the sandbox even in a shell that exports real provider credentials.

A team that sets ``FACEBOOK_APP_ID`` & co. in its shell for `make run` must still be able to
run `make test` there (tests/settings.py drops those variables for the suite).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def test_the_suite_runs_against_the_sandbox_with_real_credentials_exported(tmp_path):
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(
        FACEBOOK_APP_ID="1234567890123456",
        FACEBOOK_APP_SECRET="a-real-looking-facebook-secret",
        GOOGLE_CLIENT_ID="1234567890-socialsite.apps.googleusercontent.com",
        GOOGLE_CLIENT_SECRET="a-real-looking-google-secret",
        FACEBOOK_DIALOG_URL="https://www.facebook.com",
        # Its own database: this run's test database is in use.
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/sandbox/test_pages.py", "-q", "--create-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
