"""When each linked account's friends are synced: its own "next sync at", claimed by the tick.

Every ``FriendSyncState`` carries ``next_sync_at`` (indexed). The beat runs ``tick`` every
``FRIENDS_TICK_SECONDS``; a tick claims a bounded batch of due rows per provider and queues
them now: no ETA messages, no list of every account in memory. Claiming moves each row's
``next_sync_at`` on by its interval in the same statement, so the schedule survives a task
that is lost, and two ticks (two beats by mistake, or a slow one overlapping the next) can
never claim one row twice:

- PostgreSQL: the due rows are chosen ``FOR UPDATE SKIP LOCKED`` inside the ``UPDATE``; a
  concurrent tick skips the rows this one holds and takes the next ones.
- SQLite: one ``UPDATE … WHERE id IN (due rows)``; SQLite runs writers one at a time and the
  second re-reads ``next_sync_at`` after the first moved it on.

The interval follows the person's activity (their last sign-in, ``User.last_login``):
``FRIENDS_SYNC_TIERS``. A grant that needs reconnecting, has lapsed (a provider only a new
sign-in renews, past its expiry) or cannot be read gets no next sync at all; the sync after
their next sign-in puts the account back on the schedule (``reschedule``).

Batch size: a tick queues per provider at most what the provider's budget allows in one tick
interval (``calls per minute * interval / FRIENDS_CALLS_PER_SYNC``), capped by
``FRIENDS_TICK_MAX_BATCH``: as much as the provider can take, so the schedule keeps up with
the due rate whenever the quota can, and the backlog (due rows left after the tick, counted
up to a bound) is logged and returned so an operator sees when it cannot.
"""

# Raw SQL here: one UPDATE … RETURNING claims and reschedules a batch, which the ORM cannot
# say. Only table names (from the models' _meta) are formatted in; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts.models import GrantStatus, ProviderGrant
from accounts.tokens import refresh_ahead
from friends.models import FriendSyncState
from socialsite import quota

logger = logging.getLogger(__name__)

# The backlog is counted up to this many rows (a bounded count: the tick's cost stays flat).
BACKLOG_COUNT_LIMIT = 1_000_000


@dataclass
class TickReport:
    queued: dict[str, int] = field(default_factory=dict)
    unscheduled: int = 0  # due rows whose grant cannot be used: taken off the schedule
    skipped_paused: list[str] = field(default_factory=list)
    backlog: int = 0  # due rows still waiting after this tick

    def as_dict(self) -> dict[str, Any]:
        return {
            "queued": dict(self.queued),
            "unscheduled": self.unscheduled,
            "paused": list(self.skipped_paused),
            "backlog": self.backlog,
        }


def _tables() -> dict[str, str]:
    return {
        "state": FriendSyncState._meta.db_table,
        "link": UserSocialAuth._meta.db_table,
        "user": get_user_model()._meta.db_table,
        "grant": ProviderGrant._meta.db_table,
    }


def _dt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _next_at_sql(now: datetime, state_alias: str, *, active: bool = False) -> tuple[str, list[Any]]:
    """SQL for the row's next sync time from now: NULL for an unusable grant, else by activity.

    ``active``: the person is here now (they signed in or pressed Refresh), whatever
    ``last_login`` says yet (a sign-in's sync can run before its login is recorded).
    """
    t = _tables()
    refreshable = sorted(refresh_ahead())
    marks = ", ".join(["%s"] * len(refreshable)) or "NULL"
    usable = (
        f"EXISTS (SELECT 1 FROM {t['grant']} gr WHERE gr.social_id = {state_alias}.link_id"
        f" AND gr.status = %s AND gr.key_missing_since IS NULL AND gr.access_token_ciphertext <> ''"
        f" AND (gr.provider IN ({marks}) OR gr.expires_at IS NULL OR gr.expires_at > %s))"
    )
    params: list[Any] = [GrantStatus.ACTIVE.value, *refreshable, _dt(now)]
    last_login = (
        f"(SELECT us.last_login FROM {t['link']} lk JOIN {t['user']} us ON us.id = lk.user_id"
        f" WHERE lk.id = {state_alias}.link_id)"
    )
    whens = [f"WHEN NOT {usable} THEN NULL"]
    if active:
        last_login = "%s"
    for within, every in settings.FRIENDS_SYNC_TIERS:
        if within is None:
            whens.append("ELSE %s")
            params.append(_dt(now + timedelta(seconds=every)))
            break
        whens.append(f"WHEN {last_login} >= %s THEN %s")
        params += [*([_dt(now)] if active else []), _dt(now - timedelta(seconds=within))]
        params.append(_dt(now + timedelta(seconds=every)))
    return "CASE " + " ".join(whens) + " END", params


def claim_due(*, provider: str, now: datetime, limit: int) -> list[tuple[int, bool]]:
    """Claim up to ``limit`` due accounts of ``provider``: [(link id, whether to sync it)].

    One statement: the due rows are chosen and moved on to their next sync time together.
    Rows whose grant cannot be used come back with False and are off the schedule now.
    """
    if limit <= 0:
        return []
    t = _tables()
    lock = " FOR UPDATE OF s SKIP LOCKED" if connection.vendor == "postgresql" else ""
    next_at, next_params = _next_at_sql(now, "target")
    sql = (
        f"WITH due AS (SELECT s.id FROM {t['state']} s JOIN {t['link']} l ON l.id = s.link_id"
        f" WHERE s.next_sync_at IS NOT NULL AND s.next_sync_at <= %s AND l.provider = %s"
        f" ORDER BY s.next_sync_at LIMIT %s{lock})"
        f" UPDATE {t['state']} AS target SET next_sync_at = {next_at}"
        f" WHERE target.id IN (SELECT id FROM due)"
        # The new value itself (SQLite 3.40 got a CASE over it wrong here, next to the partial index).
        f" RETURNING link_id, next_sync_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [_dt(now), provider, limit, *next_params])
        return [(int(link_id), next_at is not None) for link_id, next_at in cursor.fetchall()]


def reschedule(*, link_id: int, now: datetime | None = None) -> None:
    """After a sync a person asked for (sign-in, Refresh): the next one at the active interval."""
    now = now or timezone.now()
    t = _tables()
    next_at, params = _next_at_sql(now, "target", active=True)
    with connection.cursor() as cursor:
        sql = f"UPDATE {t['state']} AS target SET next_sync_at = {next_at} WHERE link_id = %s"
        cursor.execute(sql, [*params, link_id])


def defer(*, link_id: int, until: datetime) -> None:
    """This account's grant must wait until ``until`` (its own rate limit): sync it then."""
    FriendSyncState.objects.filter(link_id=link_id).update(next_sync_at=until)


def backlog(*, now: datetime, limit: int = BACKLOG_COUNT_LIMIT) -> int:
    """Due rows not yet claimed, counted up to ``limit`` (served by the partial index)."""
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {t['state']} WHERE next_sync_at IS NOT NULL"
            f" AND next_sync_at <= %s LIMIT %s) due",
            [_dt(now), limit],
        )
        return int(cursor.fetchone()[0])


def batch_size(provider: str) -> int:
    """How many of ``provider``'s due accounts one tick may queue: its budget for one interval."""
    cap = settings.FRIENDS_TICK_MAX_BATCH
    per_minute = quota.calls_per_minute(provider)
    if per_minute is None:
        return cap
    per_tick = per_minute * settings.FRIENDS_TICK_SECONDS / 60 / settings.FRIENDS_CALLS_PER_SYNC
    return max(1, min(cap, math.floor(per_tick)))


def tick(
    *,
    providers: Iterable[str],
    enqueue: Callable[[int], None],
    now: datetime | None = None,
) -> TickReport:
    """One beat tick: claim each provider's due accounts (bounded) and ``enqueue`` their syncs now.

    A provider the fleet has paused (it answered 429) is skipped: its rows stay due. A sync
    that cannot be queued (broker down) is put back as due, so the next tick retries it.
    """
    now = now or timezone.now()
    report = TickReport()
    for provider in providers:
        if quota.paused_for(provider) > 0:
            report.skipped_paused.append(provider)
            continue
        claimed = claim_due(provider=provider, now=now, limit=batch_size(provider))
        queued = 0
        failed: list[int] = []
        for link_id, usable in claimed:
            if not usable:
                report.unscheduled += 1
                continue
            try:
                enqueue(link_id)
            except Exception:
                logger.exception("friends sync could not be queued: link=%s", link_id)
                failed.append(link_id)
            else:
                queued += 1
        if failed:
            FriendSyncState.objects.filter(link_id__in=failed).update(next_sync_at=now)
        report.queued[provider] = queued
    report.backlog = backlog(now=now)
    logger.info(
        "friends tick: queued=%s unscheduled=%s paused=%s backlog=%s",
        sum(report.queued.values()),
        report.unscheduled,
        ",".join(report.skipped_paused) or "-",
        report.backlog,
    )
    return report
