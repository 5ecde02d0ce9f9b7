"""The provider API clients behind the friends page: Graph ``/me/friends`` and People
``connections``. Built on ``accounts.clients.base``; the only code here that calls them
is ``friends.services``.
"""
