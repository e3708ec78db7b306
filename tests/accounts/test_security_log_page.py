"""The security-log page and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.security_log import neutralise_cell
from rapport.accounts.selectors import PAGE_SIZE, Cursor
from rapport.core.models import SecurityEvent
from rapport.core.security import SecurityKind, log_security_event


def _export(client, **params) -> list[list[str]]:
    response = client.get(reverse("accounts:security_log_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_only_owners_and_admins_see_the_log(cast, login):
    for person in (cast.owner, cast.admin):
        assert login(person).get(reverse("accounts:security_log")).status_code == 200
    for person in (cast.manager, cast.sales, cast.reader):
        assert login(person).get(reverse("accounts:security_log")).status_code == 403
        assert login(person).get(reverse("accounts:security_log_export")).status_code == 403


def test_another_workspaces_events_never_show(cast, login):
    log_security_event(SecurityKind.EXPORT, user=cast.outsider, workspace=cast.other_workspace, marker="rival-secret")
    log_security_event(SecurityKind.EXPORT, user=cast.sales, workspace=cast.workspace, marker="acme-event")
    client = login(cast.owner)
    page = client.get(reverse("accounts:security_log")).content.decode()
    assert "acme-event" in page
    assert "rival-secret" not in page
    exported = str(_export(client))
    assert "acme-event" in exported
    assert "rival-secret" not in exported
    filtered = client.get(reverse("accounts:security_log"), {"user": cast.outsider.pk})
    assert filtered.status_code == 200
    assert "rival-secret" not in filtered.content.decode()


def test_the_log_filters_by_kind_and_person(cast, login):
    log_security_event(SecurityKind.LOGIN_FAILED, user=cast.sales, workspace=cast.workspace)
    log_security_event(SecurityKind.LOGIN_FAILED, user=cast.manager, workspace=cast.workspace)
    log_security_event(SecurityKind.PASSWORD_CHANGED, user=cast.sales, workspace=cast.workspace)
    client = login(cast.admin)
    response = client.get(reverse("accounts:security_log"), {"kind": SecurityKind.LOGIN_FAILED, "user": cast.sales.pk})
    events = [item["event"] for item in response.context["events"]]
    assert [(e.kind, e.user_id) for e in events] == [(SecurityKind.LOGIN_FAILED, cast.sales.pk)]


def test_an_unknown_kind_is_a_filter_error_not_the_whole_log(cast, login):
    log_security_event(SecurityKind.LOGIN_FAILED, user=cast.sales, workspace=cast.workspace)
    response = login(cast.admin).get(reverse("accounts:security_log"), {"kind": "made.up"})
    assert response.context["form"].errors["kind"]
    assert response.context["events"] == []


def test_pages_follow_each_other_newest_first_without_gaps_or_repeats(cast, login):
    start = timezone.now() - timedelta(days=1)
    same_moment = start + timedelta(minutes=10)
    for n in range(PAGE_SIZE + 15):
        at = same_moment if 40 <= n < 60 else start + timedelta(minutes=n)  # ties across the page break
        SecurityEvent.objects.create(workspace=cast.workspace, user=cast.sales, kind=SecurityKind.EXPORT, at=at)
    client = login(cast.admin)
    first = client.get(reverse("accounts:security_log"))
    ids = [item["event"].pk for item in first.context["events"]]
    assert len(ids) == PAGE_SIZE
    second = client.get(reverse("accounts:security_log") + first.context["next_url"])
    more = [item["event"].pk for item in second.context["events"]]
    assert second.context["next_url"] is None
    expected = list(
        SecurityEvent.objects.filter(workspace=cast.workspace).order_by("-at", "-id").values_list("pk", flat=True)
    )
    assert ids + more == expected


def test_a_tampered_page_cursor_starts_from_the_newest_entry(cast, login):
    assert Cursor.decode("not-a-cursor") is None
    assert Cursor.decode(Cursor(at=timezone.now(), id=5).encode()).id == 5
    response = login(cast.admin).get(reverse("accounts:security_log"), {"after": "garbage!!"})
    assert response.status_code == 200


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_are_neutralised(text):
    assert neutralise_cell(text) == "'" + text


def test_ordinary_cells_are_left_alone():
    assert neutralise_cell("login.failed") == "login.failed"
    assert neutralise_cell(None) == ""


def test_the_export_neutralises_formulas_and_is_itself_logged(cast, login):
    SecurityEvent.objects.create(
        workspace=cast.workspace,
        user=cast.sales,
        kind=SecurityKind.LOGIN_FAILED,
        user_agent='=HYPERLINK("http://evil.example","x")',
    )
    rows = _export(login(cast.admin), kind=SecurityKind.LOGIN_FAILED)
    assert rows[0][0].startswith("time")
    assert len(rows) == 2
    assert rows[1][4] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1][2] == cast.sales.email
    export = SecurityEvent.objects.get(kind=SecurityKind.EXPORT)
    assert (export.user, export.workspace) == (cast.admin, cast.workspace)
    assert export.details == {
        "what": "security_log",
        "filter_kind": SecurityKind.LOGIN_FAILED,
        "filter_user_id": None,
    }
