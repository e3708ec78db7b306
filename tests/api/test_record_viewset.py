"""RecordViewSet on an owned record: visibility, record rights, hooks, history (tests/api/widget_api.py)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from rapport.core.models import RecordHistory
from rapport.core.scoping import audit_context, workspace_scope
from tests.api.helpers import assert_problem
from tests.sampleapp.models import Widget

pytestmark = pytest.mark.urls("tests.api.widget_api")


@pytest.fixture
def widgets(cast):
    """One widget per owner: sales (team East), sales_peer (East), sales_west (West), and one unowned."""
    made = {}
    with workspace_scope(cast.workspace.pk), audit_context(actor=cast.owner, source="web"):
        for key, owner in (("sales", cast.sales), ("peer", cast.sales_peer), ("west", cast.sales_west)):
            made[key] = Widget.objects.create(name=f"{key} widget", owner=owner, quantity=len(made))
        made["pool"] = Widget.objects.create(name="pool widget", owner=None, quantity=9)
    with workspace_scope(cast.other_workspace.pk), audit_context(actor=cast.outsider, source="web"):
        made["rival"] = Widget.objects.create(name="rival widget", owner=cast.outsider)
    return made


def test_list_shows_only_what_the_actor_may_see(cast, as_token, widgets):
    names = {w["name"] for w in as_token(cast.sales).get("/api/v1/widgets/").json()["results"]}
    assert names == {"sales widget", "peer widget", "pool widget"}


def test_invisible_or_foreign_records_are_404_for_every_method(cast, as_token, widgets):
    client = as_token(cast.sales)
    for key in ("west", "rival"):
        url = f"/api/v1/widgets/{widgets[key].pk}/"
        assert_problem(client.get(url), 404)
        assert_problem(client.patch(url, {"quantity": 5}), 404)
        assert_problem(client.delete(url), 404)


def test_read_only_member_reads_but_cannot_change_a_visible_record(cast, login, widgets):
    client = login(cast.reader)
    url = f"/api/v1/widgets/{widgets['pool'].pk}/"
    assert client.get(url).status_code == 200
    body = assert_problem(client.patch(url, {"quantity": 5}, content_type="application/json"), 403)
    assert "Read-only" in body["detail"]
    assert_problem(client.post("/api/v1/widgets/", {"name": "mine"}, content_type="application/json"), 403)


def test_manager_changes_a_team_members_record(cast, as_token, widgets):
    response = as_token(cast.manager).patch(f"/api/v1/widgets/{widgets['peer'].pk}/", {"quantity": 7})
    assert response.status_code == 200
    assert response.json()["quantity"] == 7


def test_create_validates_the_model_and_scopes_references(cast, as_token, widgets):
    client = as_token(cast.sales)
    created = client.post("/api/v1/widgets/", {"name": "new", "owner": cast.sales.pk, "team": cast.team_east.pk})
    assert created.status_code == 201
    body = assert_problem(client.post("/api/v1/widgets/", {"name": "sales widget"}), 400)
    assert body["errors"] == [{"field": "name", "detail": "A widget with this name already exists.", "code": "unique"}]
    body = assert_problem(client.post("/api/v1/widgets/", {"name": "x", "quantity": "many"}), 400)
    assert body["errors"] == [{"field": "quantity", "detail": "A valid integer is required.", "code": "invalid"}]


def test_update_writes_history_with_source_api(cast, as_token, widgets):
    as_token(cast.sales).patch(f"/api/v1/widgets/{widgets['sales'].pk}/", {"notes": "called"})
    with workspace_scope(cast.workspace.pk):
        entry = RecordHistory.objects.get(
            content_type=ContentType.objects.get_for_model(Widget), object_id=widgets["sales"].pk, action="update"
        )
    assert entry.source == "api" and entry.actor_id == cast.sales.pk
    assert entry.changes["notes"] == ["", "called"]


def test_ordering_by_an_allowed_field_pages_correctly(cast, as_token, widgets):
    client = as_token(cast.owner)
    url, seen = "/api/v1/widgets/?ordering=-quantity&page_size=2&fields=quantity", []
    while url:
        page = client.get(url).json()
        seen.extend(w["quantity"] for w in page["results"])
        url = page["next"]
    assert seen == [9, 2, 1, 0]


def test_delete_is_soft_and_restorable(cast, as_token, widgets):
    assert as_token(cast.sales).delete(f"/api/v1/widgets/{widgets['sales'].pk}/").status_code == 204
    with workspace_scope(cast.workspace.pk):
        assert Widget.all_objects.get(pk=widgets["sales"].pk).deleted_at is not None
