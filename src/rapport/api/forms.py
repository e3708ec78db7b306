from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from rapport.api.models import TokenScope
from rapport.core.permissions import Actor
from rapport.core.roles import Role

EXPIRY_CHOICES = [("30", "In 30 days"), ("90", "In 90 days"), ("365", "In one year"), ("never", "Never")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, e.g. “Zapier” or “nightly export”, so you can tell them apart.",
    )
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices, initial=[TokenScope.READ], widget=forms.CheckboxSelectMultiple
    )
    expires_in = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial="90")

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if actor.role == Role.READ_ONLY:
            self.fields["scopes"].choices = [(TokenScope.READ, TokenScope.READ.label)]
            self.fields["scopes"].help_text = "As a read-only member you can create read tokens only."

    def expires_at(self) -> datetime | None:
        value = self.cleaned_data["expires_in"]
        return None if value == "never" else timezone.now() + timedelta(days=int(value))
