"""Facebook Graph ``GET /me/friends``: the person's friends who also use this app.

https://developers.facebook.com/docs/graph-api/reference/user/friends
Only friends who use the app and granted it ``user_friends`` are listed; ``summary.total_count``
is the person's total number of friends, so the page can say "3 of your 412 friends are here".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.views.decorators.debug import sensitive_variables

from providers.facebook.client import GraphClient
from providers.http.errors import ProviderUnavailable
from providers.http.paging import PageChain

# Graph's friends edge answers at most 5,000 per page.
MAX_PAGE_SIZE = 5000


def _object(value: Any) -> dict[str, Any]:
    """``value`` when the answer put a JSON object there, else an empty one."""
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class GraphFriend:
    uid: str  # app-scoped user id: the same uid a Facebook login here is keyed on
    name: str
    picture_url: str


@dataclass(frozen=True)
class FriendsPage:
    friends: list[GraphFriend]
    total_count: int


def _friend(node: Any) -> GraphFriend:
    if not isinstance(node, dict) or not node.get("id"):
        raise ProviderUnavailable("graph friends: a friend without an id", provider="facebook")
    picture = node.get("picture")
    data = picture.get("data") if isinstance(picture, dict) else None
    url = data.get("url") if isinstance(data, dict) else None
    return GraphFriend(uid=str(node["id"]), name=str(node.get("name") or ""), picture_url=str(url or ""))


class GraphFriendsClient(GraphClient):
    """Pages through ``/me/friends`` by ``after`` cursor.

    Throttling (codes 4, 17, 32, 613) is raised at once as ``ProviderRateLimited``: waiting
    is the task's business (it re-queues itself with a countdown), never a sleep here.
    """

    @sensitive_variables("access_token")
    def iter_pages(self, access_token: str, *, page_size: int = 500) -> Iterator[FriendsPage]:
        """Every page of friends, in order. Raises the ``ProviderError`` family.

        Paging follows ``paging.cursors.after`` on our configured Graph host and stops when
        ``paging.next`` is absent. It never requests ``paging.next`` itself: that URL comes
        from the answer and could name any host (and, on real Graph, carries the token).
        https://developers.facebook.com/docs/graph-api/results
        A cursor seen before, or more than ``FRIENDS_SYNC_MAX_PAGES`` pages, raises
        ``PagingError`` (``providers.http.paging``).
        """
        params: dict[str, Any] = {"fields": "id,name,picture", "limit": max(1, min(page_size, MAX_PAGE_SIZE))}
        after: str | None = None
        chain = PageChain(provider="facebook", role="friends")
        while True:
            query = {**params, **({"after": after} if after else {})}
            body = self._graph("GET", "me/friends", access_token=access_token, role="friends", params=query)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ProviderUnavailable("graph friends: answer without data", provider="facebook")
            summary = _object(body.get("summary"))
            total = summary.get("total_count")
            friends = [_friend(node) for node in body["data"]]
            yield FriendsPage(friends=friends, total_count=total if isinstance(total, int) else len(friends))

            paging = _object(body.get("paging"))
            cursors = _object(paging.get("cursors"))
            next_after = cursors.get("after")
            if not paging.get("next") or not friends:
                return
            if not isinstance(next_after, str) or not next_after:
                raise ProviderUnavailable("graph friends: a next page without a cursor", provider="facebook")
            chain.follow(next_after)
            after = next_after
