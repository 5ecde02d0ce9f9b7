"""The emulated GitHub: its web flow, token endpoint and REST API, on GitHub's wire formats.

A Django app (``github_sandbox``) installed beside the sandbox core when SANDBOX is on; it
keeps its own tables (the following graph, per-person rate windows) and reuses the core's
roster, codes, tokens, faults and switches.
"""
