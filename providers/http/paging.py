"""A guard on a chain of pages, shared by the friends clients.

A provider that hands back a cursor or page token it gave before (A, B, A, …) would keep a
sync paging forever; so would one that never stops saying "there is more". Either way the
sync must end with an error, before it deletes anything, rather than hold a worker.
"""

from __future__ import annotations

from django.conf import settings

from providers.http.errors import ProviderError


class PagingError(ProviderError):
    """The provider's paging does not end: a cursor came back, or there were too many pages."""

    code = "paging"


class PageChain:
    """Counts the pages of one listing and remembers every cursor it followed.

    ``follow(cursor)`` before requesting the page a cursor leads to; it raises
    ``PagingError`` for a cursor seen before in this chain, or when the next page would be
    one more than ``FRIENDS_SYNC_MAX_PAGES``.
    """

    def __init__(self, *, provider: str, role: str, max_pages: int | None = None) -> None:
        self.provider = provider
        self.role = role
        self.max_pages = max_pages if max_pages is not None else int(settings.FRIENDS_SYNC_MAX_PAGES)
        self.pages = 1  # the first page needs no cursor
        self._seen: set[str] = set()

    def follow(self, cursor: str) -> None:
        if cursor in self._seen:
            raise PagingError(
                f"{self.provider} {self.role}: a cursor came back after {self.pages} pages",
                provider=self.provider,
                detail="cursor repeated",
            )
        if self.pages >= self.max_pages:
            raise PagingError(
                f"{self.provider} {self.role}: more than {self.max_pages} pages",
                provider=self.provider,
                detail="too many pages",
            )
        self._seen.add(cursor)
        self.pages += 1
