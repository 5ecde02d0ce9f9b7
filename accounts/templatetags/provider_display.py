"""Provider display facts for the shared templates: logos, brand colours, labels.

Templates name no provider: they ask here by the name in their context
(``{{ provider|provider_logo }}``) and draw what the provider package's ``Display`` says.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from providers import registry

register = template.Library()


@register.filter
def provider_logo(name: str) -> SafeString:
    """The provider's logo as inline SVG (markup from its own package), or nothing."""
    provider = registry.find(name)
    return mark_safe(provider.display.logo_svg) if provider is not None else mark_safe("")  # noqa: S308


@register.filter
def provider_label(name: str) -> str:
    provider = registry.find(name)
    return provider.label if provider is not None else name


@register.simple_tag
def provider_styles() -> SafeString:
    """One CSS rule per enabled provider setting its brand colours (site.css uses the variables)."""
    rules = format_html_join(
        "\n",
        ".provider-{} {{ --brand-bg: {}; --brand-text: {}; --brand-border: {}; --brand-hover: {}; "
        "--badge-bg: {}; --badge-text: {}; --badge-border: {}; }}"
        "\n.provider-button.provider-{} {{ {} }}",
        (
            (
                p.name,
                p.display.button.background,
                p.display.button.text,
                p.display.button.border,
                p.display.button.hover_background,
                *p.display.badge,
                p.name,
                p.display.button.extra_css,
            )
            for p in registry.enabled()
        ),
    )
    return format_html("<style>\n{}\n</style>", rules)

