"""Performance figures for socialsite: ``python -m benchmarks [NAME ...]`` (``make bench``).

Each benchmark is a module with ``run(env)`` that prints one titled block of figures; it
is not a pass/fail test. They share one environment (``harness.live_environment``): a
throwaway database (PostgreSQL when DATABASE_URL says so, else a SQLite file of its own)
and the app with the sandbox providers served by a live server thread in this process.

To add one, write ``benchmarks/<name>.py`` with ``run(env: Environment) -> None`` and list
it in ``BENCHMARKS`` in ``benchmarks/__main__.py``.
"""
