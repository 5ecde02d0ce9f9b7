"""One package per provider, and the registry that lists the enabled ones.

``providers.base`` is the typed interface shared code talks to; ``providers.registry`` finds
the enabled providers (``SOCIALSITE_PROVIDERS``). Each ``providers/<name>/`` package holds
everything that provider needs and nothing any other provider uses.
"""
