"""Forms of the activity pages: parsing only; the rules live in services."""

from __future__ import annotations

from django import forms

from rapport.activities.models import (
    ActivityKind,
    CallDirection,
    CallOutcome,
    Channel,
    NotificationKind,
    RecurrenceUnit,
    TaskPriority,
)

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
LOG_KINDS = [(k, v) for k, v in ActivityKind.choices if k in ("note", "call", "meeting", "email")]


class LogForm(forms.Form):
    kind = forms.ChoiceField(choices=LOG_KINDS)
    subject = forms.CharField(max_length=200, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Notes")
    occurred_at = forms.DateTimeField(widget=DT, required=False, label="When")
    is_private = forms.BooleanField(required=False, label="Private (only me)")
    call_direction = forms.ChoiceField(choices=[("", "—"), *CallDirection.choices], required=False, label="Direction")
    call_outcome = forms.ChoiceField(choices=[("", "—"), *CallOutcome.choices], required=False, label="Outcome")
    call_minutes = forms.IntegerField(min_value=0, max_value=24 * 60, required=False, label="Duration (minutes)")
    starts_at = forms.DateTimeField(widget=DT, required=False, label="Starts")
    ends_at = forms.DateTimeField(widget=DT, required=False, label="Ends")
    location = forms.CharField(max_length=200, required=False)
    attendees = forms.CharField(required=False, help_text="Email addresses of members or contacts, comma separated.")
    send_invitations = forms.BooleanField(required=False, label="Email .ics invitations")

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        minutes = d.pop("call_minutes", None)
        d["call_duration_seconds"] = minutes * 60 if minutes is not None else None
        for key in ("attendees", "send_invitations"):
            d.pop(key, None)
        return {k: v for k, v in d.items() if v not in (None, "")}

    def attendee_list(self) -> list[str]:
        return [a.strip() for a in (self.cleaned_data.get("attendees") or "").replace(";", ",").split(",") if a.strip()]


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    due_at = forms.DateTimeField(widget=DT, required=False, label="Due")
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL, required=False)
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    remind_at = forms.DateTimeField(widget=DT, required=False, label="Remind me at")
    recurrence_unit = forms.ChoiceField(choices=RecurrenceUnit.choices, required=False, label="Repeat")
    recurrence_interval = forms.IntegerField(min_value=1, max_value=365, required=False, label="Every")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Me"), *[(u.pk, u.get_full_name() or u.email) for u in members]]

    def service_data(self, actor_user_id: int) -> dict:
        d = dict(self.cleaned_data)
        if d.get("assignee") is None:
            d["assignee"] = actor_user_id
        return d


class EmailForm(forms.Form):
    template = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    subject = forms.CharField(max_length=250, required=False)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=(
            "Merge fields: {{ contact.first_name }}, {{ contact.last_name }}, {{ contact.full_name }}, "
            "{{ company.name }}, {{ sender.full_name }}."
        ),
    )

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "No template"), *[(t.pk, t.name) for t in templates]]


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Comment")


class PreferencesForm(forms.Form):
    def __init__(self, *args, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(choices=Channel.choices, initial=current.get(kind), label=label)
