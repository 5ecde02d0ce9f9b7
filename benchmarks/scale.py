"""A simulated day of background work, at two sizes, for the per-account schedule and for today's.

Setup: a population of linked accounts seeded with ``COPY`` (PostgreSQL; ``executemany`` on
SQLite): 60 % Google, 40 % Facebook; 10 % of people active daily, 30 % weekly, 60 % dormant;
3 % of grants need reconnecting and 2 % of the Facebook ones have lapsed. Each account's
``next_sync_at`` starts spread over its own interval, as in a running system.

The run: 24 simulated hours in one-minute steps on a fake clock (nothing sleeps). Each minute
the daily-active people due to visit sign in (their ``last_login`` is written, a sign-in sync is
queued first), the beat's real tick (``friends.schedule.tick``) claims due rows from the
database, and the queued syncs run: each provider call is first taken from the real budget
(``socialsite.quota`` with a ``LocalBudget`` on the fake clock) and then made to a fake
provider that counts calls per minute and answers 429 above its quota. A sync whose budget is
spent goes back to the queue with the countdown the budget names, as the task does.

Sampling: every Nth sync (about 400 a size) also runs for real against the database:
``friends.services.friends_sync`` with a fake client (one page of friends), plus the
schedule's bookkeeping. Its queries and seconds are measured; worker-seconds are those
measured seconds times the number of syncs, plus the measured ticks, plus an assumed
provider round trip per call (``PROVIDER_RTT``, stated in the output).

Today's design, measured on the same population in the same run: the beat refreshed every
Google grant five minutes before its hourly expiry (24 token calls a day each) and queued
everyone's sync every 6 hours, spread over 30 minutes with ETA countdowns.
"""

from __future__ import annotations

import math
import random
import time
import tracemalloc
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.harness import Environment, print_block, table

SIZES = (20_000, 100_000)
SQLITE_SIZES = (2_000, 10_000)  # without DATABASE_URL: the same run, smaller
PROVIDERS = {"google": 0.6, "facebook": 0.4}
MIX = {"daily": 0.10, "weekly": 0.30, "dormant": 0.60}
NEEDS_RECONNECT = 0.03
FACEBOOK_LAPSED = 0.02
SAMPLES_PER_SIZE = 400
PROVIDER_RTT = 0.3  # seconds a worker waits on one provider call (an assumption, not measured)
FRIENDS_PER_PAGE = 20
TARGET_UTILISATION = 0.5  # workers sized to be busy half the time at the day's peak
DAY_MINUTES = 24 * 60
SEED = 12


def run(env: Environment) -> None:
    from django.conf import settings
    from django.db import connection

    sizes = SIZES if connection.vendor == "postgresql" else SQLITE_SIZES
    quota = dict(settings.PROVIDER_CALLS_PER_MINUTE)
    results = []
    for size in sizes:
        _flush()
        seeded = _seed(size)
        new = _simulate_schedule(size, seeded, quota)
        old = _simulate_today(size, seeded, quota, per_sync_seconds=new.seconds_per_sync_db)
        results.append((size, seeded, new, old))
    _print(env, results, quota)


# --- seeding ------------------------------------------------------------------------------------


@dataclass
class Population:
    size: int
    seconds: float
    tier: dict[int, str]  # link id -> daily / weekly / dormant
    provider: dict[int, str]
    usable: set[int]
    visits: dict[int, list[int]]  # minute of the day -> link ids of people signing in then


def _flush() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def _seed(size: int) -> Population:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from social_django.models import UserSocialAuth

    from accounts.models import ProviderGrant
    from friends.models import FriendSyncState

    rng = random.Random(SEED + size)
    now = SIM_START
    started = time.perf_counter()
    users, links, grants, states = [], [], [], []
    tier: dict[int, str] = {}
    provider_of: dict[int, str] = {}
    usable: set[int] = set()
    visits: dict[int, list[int]] = defaultdict(list)
    tiers = settings_tiers()
    for n in range(1, size + 1):
        provider = "google" if rng.random() < PROVIDERS["google"] else "facebook"
        roll = rng.random()
        kind = (
            "daily" if roll < MIX["daily"] else "weekly" if roll < MIX["daily"] + MIX["weekly"] else "dormant"
        )
        last_login = {
            "daily": now - timedelta(hours=rng.uniform(1, 23)),
            "weekly": now - timedelta(days=rng.uniform(1.5, 6.5)),
            "dormant": now - timedelta(days=rng.uniform(10, 300)),
        }[kind]
        status = "needs_reconnect" if rng.random() < NEEDS_RECONNECT else "active"
        expires = (
            now + timedelta(days=rng.uniform(5, 55)) if provider == "facebook" else now + timedelta(hours=1)
        )
        if provider == "facebook" and rng.random() < FACEBOOK_LAPSED:
            expires = now - timedelta(days=rng.uniform(1, 30))
        elif status == "active":
            usable.add(n)
        every = next(
            e for within, e in tiers if within is None or (now - last_login).total_seconds() <= within
        )
        next_at = now + timedelta(seconds=rng.uniform(0, every))
        tier[n], provider_of[n] = kind, provider
        if kind == "daily":
            visits[rng.randrange(DAY_MINUTES)].append(n)
        users.append(
            (n, "!", last_login, False, f"sim{n}", "Sim", f"Person {n}", f"sim{n}@example.com", False, True,
             now, False)
        )  # fmt: skip
        links.append((n, n, provider, "", f"uid{n}", "{}", now, now))
        grants.append(
            (n, provider, f"uid{n}", n, "sim-ciphertext", "sim-ciphertext" if provider == "google" else "",
             expires, "[]", "[]", status, "", "", now, now)
        )  # fmt: skip
        states.append((n, n, "ok", "", 0, "", now - timedelta(days=1), next_at, now))
    user_cols = (
        "id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined, findable_by_email"
    )
    link_cols = "id, user_id, provider, id_key, uid, extra_data, created, modified"
    grant_cols = (
        "id, provider, uid, social_id, access_token_ciphertext, refresh_token_ciphertext, expires_at, "
        "scopes, denied_scopes, status, last_error, refresh_lease_id, created_at, updated_at"
    )
    state_cols = (
        "id, link_id, status, last_error, attempts, sync_token, last_success_at, next_sync_at, updated_at"
    )
    with transaction.atomic():
        for model, cols, rows in (
            (get_user_model(), user_cols, users),
            (UserSocialAuth, link_cols, links),
            (ProviderGrant, grant_cols, grants),
            (FriendSyncState, state_cols, states),
        ):
            _bulk(connection, model._meta.db_table, cols, rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (get_user_model(), UserSocialAuth, ProviderGrant, FriendSyncState):
                table_name = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), {size})")
                cursor.execute(f"ANALYZE {table_name}")
    return Population(size, time.perf_counter() - started, tier, provider_of, usable, visits)


def _bulk(connection: Any, table_name: str, cols: str, rows: list[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg 3: COPY through the driver
            with raw.copy(f"COPY {table_name} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(cols.split(",")))
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table_name} ({cols}) VALUES ({marks})",
            [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows],
        )


def settings_tiers() -> list[tuple[float | None, float]]:
    from django.conf import settings

    return list(settings.FRIENDS_SYNC_TIERS)


# The simulated day starts now: the checks that read the real clock (a lapsed grant, an
# expiring token) agree with the simulated one for the sampled syncs.
SIM_START = datetime.now(UTC).replace(second=0, microsecond=0)


# --- the fake world -------------------------------------------------------------------------------


@dataclass
class FakeProviders:
    """Count every call per provider, kind and minute; answer 429 above the per-minute quota."""

    quota: dict[str, int]
    calls: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    per_minute: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    rejected: int = 0

    def call(self, provider: str, kind: str, minute: int) -> bool:
        self.per_minute[(provider, minute)] += 1
        self.calls[(provider, kind)] += 1
        if self.per_minute[(provider, minute)] > self.quota.get(provider, 10**9):
            self.rejected += 1
            return False
        return True

    def call_many(self, provider: str, kind: str, minute: int, count: int) -> None:
        before = self.per_minute[(provider, minute)]
        self.per_minute[(provider, minute)] += count
        self.calls[(provider, kind)] += count
        self.rejected += max(0, before + count - max(before, self.quota.get(provider, 10**9)))

    def peak(self, provider: str) -> int:
        return max((n for (p, _), n in self.per_minute.items() if p == provider), default=0)


@dataclass
class Figures:
    calls: dict[tuple[str, str], int]
    accounts: dict[str, int]
    peak: dict[str, int]
    rejected: int
    syncs: int
    max_queue: int
    queries_per_sync: float
    seconds_per_sync_db: float
    tick_seconds: float
    worker_seconds: float
    peak_tasks_per_minute: int
    tick_peak_bytes: int = 0
    backlog_max: int = 0
    wall: float = 0.0
    requeued: int = 0


def _fake_clients(stamp_seed: int) -> dict[str, Any]:
    from providers.facebook.friends import FriendsPage, GraphFriend, GraphFriendsClient
    from providers.google.contacts import Contact, ContactsPage, PeopleClient

    class Graph(GraphFriendsClient):
        def iter_pages(self, access_token: str, *, page_size: int = 500) -> Iterator[FriendsPage]:
            friends = [
                GraphFriend(uid=f"f{stamp_seed}-{i}", name=f"Friend {i}", picture_url="")
                for i in range(FRIENDS_PER_PAGE)
            ]
            yield FriendsPage(friends=friends, total_count=FRIENDS_PER_PAGE)

    class People(PeopleClient):
        def iter_pages(
            self, access_token: str, *, sync_token: str | None = None, **kwargs: Any
        ) -> Iterator[ContactsPage]:  # type: ignore[override]
            contacts = [
                Contact(resource_name=f"people/c{i}", etag="e", name=f"Contact {i}",
                        emails=(f"c{i}@example.com",), photo_url="", deleted=False)
                for i in range(0 if sync_token else FRIENDS_PER_PAGE)
            ]  # fmt: skip
            yield ContactsPage(contacts=contacts, next_sync_token="sim-sync-token", total_items=len(contacts))

    return {"facebook": Graph(), "google": People()}


# --- the per-account schedule ---------------------------------------------------------------------


def _simulate_schedule(size: int, pop: Population, quota_per_minute: dict[str, int]) -> Figures:
    from django.db import connection

    from friends import schedule
    from friends.models import FriendSyncState
    from friends.services import friends_sync
    from providers.http.errors import ProviderRateLimited
    from socialsite import quota

    clock = [0.0]
    quota.use(quota.LocalBudget(clock=lambda: clock[0]))
    fake = FakeProviders(quota_per_minute)
    clients = _fake_clients(size)
    token_valid_until: dict[int, float] = {}  # Google access tokens, simulated seconds
    interactive: deque[int] = deque()
    scheduled: deque[int] = deque()
    delayed: dict[int, list[tuple[int, bool]]] = defaultdict(list)  # minute -> (link, scheduled)
    sample_every = max(1, int(size * 0.9 / SAMPLES_PER_SIZE))
    sampled_seconds = 0.0
    sampled_queries = 0
    samples = 0
    syncs = requeued = max_queue = backlog_max = 0
    tick_seconds = 0.0
    per_minute_tasks: dict[int, int] = defaultdict(int)
    started = time.perf_counter()
    user_table = _user_table()

    def run_sync(link_id: int, minute: int, is_scheduled: bool) -> bool:
        """One sync's provider calls through the budget; False: requeued."""
        nonlocal syncs, requeued, sampled_seconds, sampled_queries, samples
        provider = pop.provider[link_id]
        now_s = clock[0]
        calls: list[str] = []
        if provider == "google" and token_valid_until.get(link_id, -1.0) <= now_s + 300:
            calls.append("token")
        calls.append("api")
        for kind in calls:
            try:
                quota.spend(provider)
            except ProviderRateLimited as error:
                wait = math.ceil((error.retry_after or 60) / 60)
                delayed[minute + max(1, wait)].append((link_id, is_scheduled))
                requeued += 1
                return False
            if not fake.call(provider, kind, minute):
                quota.pause(provider, None)
                delayed[minute + 1].append((link_id, is_scheduled))
                requeued += 1
                return False
            if kind == "token":
                token_valid_until[link_id] = now_s + 3600
        syncs += 1
        per_minute_tasks[minute] += 1
        if syncs % sample_every == 0:
            sampled_seconds_, queries = _real_sync(
                link_id, is_scheduled, minute, clients, friends_sync, schedule
            )
            sampled_seconds += sampled_seconds_
            sampled_queries += queries
            samples += 1
        return True

    for minute in range(DAY_MINUTES):
        clock[0] = minute * 60.0
        now = SIM_START + timedelta(minutes=minute)
        # People signing in now: their last_login, and the sign-in's sync, first in line.
        if visitors := pop.visits.get(minute):
            marks = ", ".join(["%s"] * len(visitors))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {user_table} SET last_login = %s WHERE id IN ({marks})",
                    [connection.ops.adapt_datetimefield_value(now), *visitors],
                )
            for link in visitors:
                if link in pop.usable:
                    interactive.append(link)
                    token_valid_until[link] = clock[0] + 3600  # the sign-in brought a fresh token
        for link_id, is_scheduled in delayed.pop(minute, []):
            (scheduled if is_scheduled else interactive).append(link_id)
        tick_started = time.perf_counter()
        report = schedule.tick(providers=list(PROVIDERS), enqueue=scheduled.append, now=now)
        tick_seconds += time.perf_counter() - tick_started
        backlog_max = max(backlog_max, report.backlog)
        max_queue = max(max_queue, len(interactive) + len(scheduled) + sum(len(v) for v in delayed.values()))
        # Workers drain the queues within the minute (people's syncs first); the budget decides.
        while interactive:
            link_id = interactive.popleft()
            run_sync(link_id, minute, is_scheduled=False)
        while scheduled:
            run_sync(scheduled.popleft(), minute, is_scheduled=True)

    # Beat-tick memory: one busy tick (everything due at once), under tracemalloc.
    FriendSyncState.objects.filter(next_sync_at__isnull=False).update(next_sync_at=SIM_START)
    tracemalloc.start()
    schedule.tick(providers=list(PROVIDERS), enqueue=lambda _link: None, now=SIM_START + timedelta(days=1))
    _, tick_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    quota.use(None)

    per_sync_db = sampled_seconds / max(samples, 1)
    total_calls = sum(fake.calls.values())
    worker_seconds = syncs * per_sync_db + tick_seconds + total_calls * PROVIDER_RTT
    accounts = {p: sum(1 for v in pop.provider.values() if v == p) for p in PROVIDERS}
    return Figures(
        calls=dict(fake.calls),
        accounts=accounts,
        peak={p: fake.peak(p) for p in PROVIDERS},
        rejected=fake.rejected,
        syncs=syncs,
        max_queue=max_queue,
        queries_per_sync=sampled_queries / max(samples, 1),
        seconds_per_sync_db=per_sync_db,
        tick_seconds=tick_seconds,
        worker_seconds=worker_seconds,
        peak_tasks_per_minute=max(per_minute_tasks.values(), default=0),
        tick_peak_bytes=tick_peak,
        backlog_max=backlog_max,
        wall=time.perf_counter() - started,
        requeued=requeued,
    )


def _user_table() -> str:
    from django.contrib.auth import get_user_model

    return get_user_model()._meta.db_table


def _real_sync(
    link_id: int, is_scheduled: bool, minute: int, clients: dict[str, Any], friends_sync: Any, schedule: Any
) -> tuple[float, int]:
    """The sampled sync, for real on the database: what a worker's sync task does, minus HTTP."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import ProviderGrant

    now = SIM_START + timedelta(minutes=minute)
    # Outside the measurement: a token this process can open, valid (the calls were counted).
    prepared = ProviderGrant.objects.get(social_id=link_id)
    prepared.set_access_token("sim-access-token")
    if prepared.provider == "google":
        prepared.expires_at = datetime.now(UTC) + timedelta(days=1)  # no refresh call here: counted above
    prepared.save(update_fields=["access_token_ciphertext", "expires_at"])
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        grant = ProviderGrant.objects.select_related("social").filter(social_id=link_id).first()
        assert grant is not None
        friends_sync(grant=grant, client=clients[grant.provider], clock=lambda: now)
        if not is_scheduled:
            schedule.reschedule(link_id=link_id, now=now)
        seconds = time.perf_counter() - started
    return seconds, len(queries)


# --- today's scheduling ---------------------------------------------------------------------------


def _simulate_today(
    size: int, pop: Population, quota_per_minute: dict[str, int], *, per_sync_seconds: float
) -> Figures:
    """The beat as it was: Google grants refreshed 5 minutes before each hourly expiry, and every
    usable account queued every 6 hours in one burst spread over 30 minutes (ETA messages)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import GrantStatus, ProviderGrant

    started = time.perf_counter()
    rng = random.Random(SEED)
    fake = FakeProviders(quota_per_minute)
    usable = sorted(pop.usable)
    google = [link for link in usable if pop.provider[link] == "google"]
    offset = {link: rng.randrange(60) for link in google}  # minute of the hour each token expires
    # The refresh pass's own database cost, measured: its selection query and, per grant, the
    # four queries a refresh cost then (claim, re-read, write, release), on a sample.
    with CaptureQueriesContext(connection):
        t0 = time.perf_counter()
        due = list(
            ProviderGrant.objects.filter(provider="google", status=GrantStatus.ACTIVE)
            .order_by("expires_at")
            .values_list("pk", flat=True)[: max(1, len(google) // 12)]
        )
        selection_seconds = time.perf_counter() - t0
    sample = due[:200]
    t0 = time.perf_counter()
    for pk in sample:
        ProviderGrant.objects.filter(pk=pk).update(refresh_lease_id="x")
        ProviderGrant.objects.filter(pk=pk).first()
        ProviderGrant.objects.filter(pk=pk).update(last_error="")
        ProviderGrant.objects.filter(pk=pk).update(refresh_lease_id="")
    per_refresh_db = (time.perf_counter() - t0) / max(len(sample), 1)
    per_minute_tasks: dict[int, int] = defaultdict(int)
    refreshes = syncs = 0
    per_offset: dict[int, int] = defaultdict(int)
    for link in google:
        per_offset[offset[link]] += 1
    for minute in range(DAY_MINUTES):
        if count := per_offset.get(minute % 60, 0):
            fake.call_many("google", "token", minute, count)
            refreshes += count
    step = min(2.0, 1800 / max(len(usable), 1))
    for burst in range(4):
        base = burst * 360
        bucket: dict[tuple[str, int], int] = defaultdict(int)
        for index, link in enumerate(usable):
            bucket[(pop.provider[link], base + int(index * step // 60))] += 1
        for (provider, minute), count in bucket.items():
            fake.call_many(provider, "api", minute, count)
            per_minute_tasks[minute] += count
            syncs += count
    worker_seconds = (
        syncs * per_sync_seconds
        + refreshes * per_refresh_db
        + DAY_MINUTES / 5 * selection_seconds
        + sum(fake.calls.values()) * PROVIDER_RTT
    )
    return Figures(
        calls=dict(fake.calls),
        accounts={p: sum(1 for v in pop.provider.values() if v == p) for p in PROVIDERS},
        peak={p: fake.peak(p) for p in PROVIDERS},
        rejected=fake.rejected,
        syncs=syncs,
        max_queue=len(usable),  # every ETA message of a burst is held by the workers at once
        queries_per_sync=float("nan"),
        seconds_per_sync_db=per_sync_seconds,
        tick_seconds=0.0,
        worker_seconds=worker_seconds,
        peak_tasks_per_minute=max(per_minute_tasks.values(), default=0),
        wall=time.perf_counter() - started,
    )


# --- output -----------------------------------------------------------------------------------------


def _per_account(fig: Figures, provider: str, kind: str) -> float:
    return fig.calls.get((provider, kind), 0) / max(fig.accounts.get(provider, 0), 1)


def _workers(fig: Figures, size: int, target: int) -> tuple[int, str]:
    """Workers for ``target`` accounts: the day's peak minute scaled linearly, half busy."""
    factor = target / size
    calls_per_sync = sum(fig.calls.values()) / max(fig.syncs, 1)
    seconds_per_task = fig.seconds_per_sync_db + calls_per_sync * PROVIDER_RTT
    peak_tasks = fig.peak_tasks_per_minute * factor
    busy = peak_tasks * seconds_per_task / 60
    workers = max(1, math.ceil(busy / TARGET_UTILISATION))
    why = (
        f"{peak_tasks:,.0f} syncs in the peak minute x {seconds_per_task:.3f} s "
        f"({fig.seconds_per_sync_db * 1000:.1f} ms database + {calls_per_sync:.2f} calls x {PROVIDER_RTT} s) "
        f"/ 60 s = {busy:.1f} busy, / {TARGET_UTILISATION} = {workers}"
    )
    return workers, why


def _print(
    env: Environment, results: list[tuple[int, Population, Figures, Figures]], quota: dict[str, int]
) -> None:
    lines = [
        f"database: {env.database}; quota per provider app: "
        + ", ".join(f"{p} {quota.get(p, '-')}/min" for p in PROVIDERS),
        f"mix: {MIX}; providers: {PROVIDERS}; needs reconnect {NEEDS_RECONNECT:.0%}, "
        f"Facebook lapsed {FACEBOOK_LAPSED:.0%}; one minute steps on a fake clock",
        f"provider round trip assumed {PROVIDER_RTT} s a call (workers wait on it); "
        "database seconds and queries measured on ~400 sampled real syncs per size",
        "",
    ]
    header = ["figure"]
    for size, *_ in results:
        header += [f"new {size:,}", f"today {size:,}"]
    rows: list[list[str]] = []

    def row(name: str, new_value: Any, old_value: Any) -> None:
        cells = [name]
        for _, _, new, old in results:
            cells += [new_value(new), old_value(old)]
        rows.append(cells)

    for provider in PROVIDERS:
        for kind in ("token", "api"):
            row(
                f"{provider} {kind} calls/account/day",
                lambda f, p=provider, k=kind: f"{_per_account(f, p, k):.2f}",
                lambda f, p=provider, k=kind: f"{_per_account(f, p, k):.2f}",
            )
    row(
        "all calls/account/day",
        lambda f: f"{sum(f.calls.values()) / max(sum(f.accounts.values()), 1):.2f}",
        lambda f: f"{sum(f.calls.values()) / max(sum(f.accounts.values()), 1):.2f}",
    )
    for provider in PROVIDERS:
        row(
            f"{provider} peak calls/min (quota {quota.get(provider)})",
            lambda f, p=provider: f"{f.peak[p]:,} ({f.peak[p] / quota[p]:.0%})",
            lambda f, p=provider: f"{f.peak[p]:,} ({f.peak[p] / quota[p]:.0%})",
        )
    row("calls refused (429)", lambda f: f"{f.rejected:,}", lambda f: f"{f.rejected:,}")
    row("syncs run", lambda f: f"{f.syncs:,}", lambda f: f"{f.syncs:,}")
    row("requeued by the budget", lambda f: f"{f.requeued:,}", lambda f: "-")
    row("DB queries per sync", lambda f: f"{f.queries_per_sync:.1f}", lambda f: "same sync")
    row("largest queue depth", lambda f: f"{f.max_queue:,}", lambda f: f"{f.max_queue:,} ETA")
    row("largest tick backlog", lambda f: f"{f.backlog_max:,}", lambda f: "-")
    row("worker-seconds/day", lambda f: f"{f.worker_seconds:,.0f}", lambda f: f"{f.worker_seconds:,.0f}")
    row("beat-tick peak memory", lambda f: f"{f.tick_peak_bytes / 1024:,.0f} KiB", lambda f: "-")
    row("simulation wall time", lambda f: f"{f.wall:.0f} s", lambda f: f"{f.wall:.0f} s")
    lines += table(header, rows)
    size, _, new, old = results[-1]
    lines.append("")
    lines.append(
        f"seeding: {', '.join(f'{p.size:,} accounts in {p.seconds:.1f} s' for _, p, _, _ in results)}"
    )
    workers, why = _workers(new, size, 1_000_000)
    _, old_why = _workers(old, size, 1_000_000)
    per_account = sum(new.calls.values()) / max(sum(new.accounts.values()), 1)
    peak = max(new.peak[p] / quota[p] for p in PROVIDERS) * 1_000_000 / size
    old_peak = max(old.peak[p] / quota[p] for p in PROVIDERS) * 1_000_000 / size
    old_per_account = sum(old.calls.values()) / max(sum(old.accounts.values()), 1)
    lines.append(f"1,000,000 accounts, new: {why}")
    lines.append(f"1,000,000 accounts, today: {old_why}")
    lines.append(f"  today: peak {old_peak:.0%} of quota, {old_per_account:.2f} calls/account/day")
    lines.append(
        f"scale: 1,000,000 accounts need {workers} workers; "
        f"{per_account:.2f} provider calls per account per day; peak {peak:.0%} of quota"
    )
    print_block("simulated day: per-account schedule (new) vs today's beat, two sizes", lines)
