"""The index page's small form for arming faults by hand."""

from __future__ import annotations

from django import forms

from providers import registry
from sandbox import faults


def _endpoint_choices() -> list[tuple[str, str]]:
    return [
        (f"{provider}/{endpoint}", f"{registry.any_provider(provider).label} {endpoint}")
        for provider, endpoints in faults.ENDPOINTS.items()
        for endpoint in endpoints
    ]


class ArmFaultForm(forms.Form):
    """Arm one fault: which endpoint, how it misbehaves, for how many calls."""

    target = forms.ChoiceField(label="Endpoint", choices=_endpoint_choices)
    mode = forms.ChoiceField(choices=[(m, m) for m in faults.all_modes()])
    times = forms.IntegerField(min_value=1, max_value=100, initial=1)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        target, mode = data.get("target"), data.get("mode")
        if isinstance(target, str) and isinstance(mode, str):
            provider, _, endpoint = target.partition("/")
            if mode not in faults.modes_for(provider, endpoint):
                known = ", ".join(faults.modes_for(provider, endpoint))
                raise forms.ValidationError(f"{target} cannot emulate {mode}; it knows {known}.")
            data["provider"], data["endpoint"] = provider, endpoint
        return data

    def arm(self) -> None:
        data = self.cleaned_data
        faults.arm(data["provider"], data["endpoint"], data["mode"], times=data["times"])
