"""Provider API clients: the only code that calls provider hosts with ``requests``.

``base.ProviderClient`` gives every client one session, a timeout on every call, and one
``_request()`` that maps transport and HTTP failures to the typed errors in ``errors``.
"""
