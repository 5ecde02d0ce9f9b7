"""Migration friends 0005: every stored Facebook friend and Google contact becomes a Friend row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("friends", "0004_friend_sync_refresh_requested_at")]
AFTER = [("friends", "0005_friend_one_model_for_every_provider")]


def _migrate(friends_target):
    """Every other app at its latest migration, friends at ``friends_target``; the apps' state."""
    executor = MigrationExecutor(connection)
    targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "friends"] + friends_target
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_friends_and_contacts_move_into_one_model_with_everything_they_held():
    stamp = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    try:
        apps = _migrate(BEFORE)
        User = apps.get_model("accounts", "User")
        Link = apps.get_model("social_django", "UserSocialAuth")
        ada = User.objects.create(username="ada")
        fb = Link.objects.create(user=ada, provider="facebook", uid="1001")
        google = Link.objects.create(user=ada, provider="google", uid="2002")
        apps.get_model("friends", "FacebookFriend").objects.create(
            link=fb,
            uid="3003",
            name="Grace Hopper",
            picture_url="https://pictures.example/g.jpg",
            synced_at=stamp,
        )
        apps.get_model("friends", "GoogleContact").objects.create(
            link=google,
            resource_name="people/c1",
            etag="%x",
            name="Alan Turing",
            email="alan@example.com",
            photo_url="https://photos.example/a.jpg",
            synced_at=stamp,
        )

        apps = _migrate(AFTER)
        rows = sorted(
            apps.get_model("friends", "Friend").objects.values_list(
                "link__uid", "provider", "external_id", "name", "email", "picture_url", "synced_at"
            )
        )

        assert rows == [
            ("1001", "facebook", "3003", "Grace Hopper", "", "https://pictures.example/g.jpg", stamp),
            ("2002", "google", "people/c1", "Alan Turing", "alan@example.com", "https://photos.example/a.jpg",
             stamp),
        ]
    finally:
        latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
        _migrate([node for node in latest if node[0] == "friends"])
