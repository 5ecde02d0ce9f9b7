"""No provider is named in shared code or shared templates; each lives in its own package.

What counts as a name: every provider package's name and label in the registry
(``providers.registry.AVAILABLE``), case-insensitive, so a new package is covered the moment
it is registered. Where: the code of the shared apps (accounts, friends, sandbox, socialsite
and the shared modules of providers/) and every shared template and stylesheet. Outside it:
``providers/<name>/`` (that provider's own package) and tests/ and benchmarks/ (they drive
particular providers on purpose).

In Python, identifiers and string literals count; comments and docstrings do not: prose may
cite a provider's documentation (a shared helper saying which providers' rules it follows),
but nothing that runs may pick a provider by name. In templates everything but ``{# #}``
comments counts, since it is what people read.

Allowed, each for a stated reason (``ALLOWED``): migrations (history of what the tables
were) and the few places listed below.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from providers import registry

ROOT = Path(__file__).resolve().parent.parent
SHARED_CODE = ("accounts", "friends", "sandbox", "socialsite", "providers")
SHARED_TEMPLATES = ("templates", "static")

# path -> why a provider name may stay there.
ALLOWED: dict[str, str] = {
    "providers/registry.py": "the registry: the one list that names each provider package",
    # The sandbox roster gives each person one id per emulated provider, in columns of the
    # sandbox's own table (its tests and fixtures read ada.facebook_id, person.google_sub). A
    # per-provider identity table would end this; it is the next step, not done here.
    "sandbox/models.py": "roster identity columns (SandboxPerson.facebook_id / google_sub)",
    "sandbox/services.py": "the fixed roster fills those identity columns",
    "sandbox/seeding.py": "bulk seeding writes those identity columns and the app users' grants",
}


def provider_words() -> list[str]:
    words = set()
    for name in registry.available_names():
        provider = registry.any_provider(name)
        words.update({name.lower(), provider.label.lower()})
    return sorted(words)


def _docstring_lines(source: str) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def _is_shared(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    if "migrations" in parts or "__pycache__" in parts:
        return False
    # providers/<name>/ is that provider's own package.
    return not (parts[0] == "providers" and len(parts) > 2 and parts[1] in registry.available_names())


def names_in_python(path: Path, pattern: re.Pattern[str]) -> list[str]:
    source = path.read_text()
    docstrings = _docstring_lines(source)
    found = []
    kinds = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in kinds:
            continue
        if token.type == tokenize.STRING and token.start[0] in docstrings:
            continue
        if pattern.search(token.string):
            found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string[:60]}")
    return found


def names_in_template(path: Path, pattern: re.Pattern[str]) -> list[str]:
    text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:60]}"
        for number, line in enumerate(text.splitlines(), start=1)
        if pattern.search(line)
    ]


def shared_files() -> tuple[list[Path], list[Path]]:
    code = [p for folder in SHARED_CODE for p in sorted((ROOT / folder).rglob("*.py")) if _is_shared(p)]
    pages = [
        p
        for folder in SHARED_TEMPLATES
        for p in sorted((ROOT / folder).rglob("*"))
        if p.suffix in (".html", ".css", ".txt") and _is_shared(p)
    ]
    return code, pages


def test_no_provider_name_in_shared_code_or_templates():
    pattern = re.compile("|".join(re.escape(word) for word in provider_words()), re.I)
    code, pages = shared_files()
    assert code and pages  # the scan sees the tree
    found = [
        hit
        for path in code
        if str(path.relative_to(ROOT)) not in ALLOWED
        for hit in names_in_python(path, pattern)
    ] + [hit for path in pages for hit in names_in_template(path, pattern)]

    assert found == [], "provider names in shared code (ask the provider interface instead):\n" + "\n".join(
        found
    )


def test_every_allowed_file_still_needs_its_exception():
    """An exception nobody needs any more goes, so the list only shrinks."""
    pattern = re.compile("|".join(re.escape(word) for word in provider_words()), re.I)
    for relative in ALLOWED:
        assert names_in_python(ROOT / relative, pattern), f"{relative} no longer names a provider"


@pytest.mark.parametrize("shared", ["accounts"])
def test_accounts_imports_nothing_from_friends(shared):
    """The sync after sign-in is queued through accounts.signals.link_stored, which friends hears."""
    imports = []
    for path in sorted((ROOT / shared).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "friends":
                imports.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "friends" for a in node.names):
                imports.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert imports == []
