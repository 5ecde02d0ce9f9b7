"""The pager's links: each section pages on its own parameter (``page_<provider>``)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], param: str, number: int) -> str:
    """The current query string with ``param`` set to ``number``: the other sections' pages and
    the search stay (as ``{% querystring %}`` does, for a parameter named at run time)."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"
