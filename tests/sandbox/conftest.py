"""Fixtures for the sandbox's own tests."""

from __future__ import annotations

import pytest

from sandbox import faults, services
from sandbox.models import SandboxPerson


@pytest.fixture
def people(db) -> list[SandboxPerson]:
    services.ensure_roster()
    return list(SandboxPerson.objects.all())


@pytest.fixture
def ada(people) -> SandboxPerson:
    return SandboxPerson.objects.get(email="ada@sandbox.example")


@pytest.fixture
def arm(db):
    """``faults.arm``; every fault armed in a test is gone after it."""
    yield faults.arm
    faults.clear()
