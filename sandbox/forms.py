"""The index page's small form for arming faults by hand."""

from __future__ import annotations

from django import forms

from sandbox import faults


def _endpoint_choices() -> list[tuple[str, str]]:
    return [
        (f"{provider}/{endpoint}", f"{provider.title()} {endpoint}")
        for provider, endpoints in faults.endpoints().items()
        for endpoint in endpoints
    ]


class ArmFaultForm(forms.Form):
    """Arm one fault: which endpoint, how it misbehaves, for how many calls."""

    target = forms.ChoiceField(label="Endpoint", choices=_endpoint_choices)
    mode = forms.ChoiceField(
        choices=[
            (m, m)
            for m in faults.GENERIC_MODES
            + faults.BENDING_MODES
            + tuple(faults.EXPIRES_IN_MODES)
            + faults.CONNECTIONS_MODES
            + tuple(m for m in faults.FRIENDS_MODES if m not in faults.CONNECTIONS_MODES)
            + faults.package_modes()
        ]
    )
    times = forms.IntegerField(min_value=1, max_value=100, initial=1)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        target, mode = data.get("target"), data.get("mode")
        if isinstance(target, str) and isinstance(mode, str):
            provider, _, endpoint = target.partition("/")
            if mode not in faults.modes_for(provider, endpoint):
                raise forms.ValidationError(
                    f"{target} cannot emulate {mode}; id_token modes are for google/token, "
                    "discovery_ and userinfo_ modes for those endpoints, expires_in_ modes for "
                    "the token endpoints, expired_sync_token, service_disabled and "
                    "access_token_expired for google/connections, paging_loop for the two friends lists."
                )
            data["provider"], data["endpoint"] = provider, endpoint
        return data

    def arm(self) -> None:
        data = self.cleaned_data
        faults.arm(data["provider"], data["endpoint"], data["mode"], times=data["times"])
