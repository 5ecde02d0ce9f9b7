"""What accounts announces for other apps to act on, without accounts importing them.

``link_stored``: a sign-in has stored a link's grant (sender: the ``UserSocialAuth`` class,
``link``: the row). Sent inside the login's transaction; a receiver that starts work
elsewhere defers it to commit (``friends`` queues the sync after sign-in this way).
"""

from __future__ import annotations

from django.dispatch import Signal

link_stored = Signal()
