"""Definition changes that alter searchable values re-index the records concerned."""

from django_tasks_db.models import DBTaskResult

from rapport.customfields import services as cf_services
from rapport.search.tasks import reindex_record_type


def _field(cast, acting, **data):
    with acting(cast.owner, cast.workspace) as actor:
        return cf_services.definition_create(actor=actor, record_type="sampleapp.widget", data=data)


def test_making_a_field_searchable_queues_a_reindex_that_makes_values_findable(
    cast, acting, make_widget, find, django_capture_on_commit_callbacks
):
    field = _field(cast, acting, key="nickname", label="Nickname", field_type="text")
    make_widget("Plain name", nickname="Goldfinger")
    assert find("goldfinger") == []
    with django_capture_on_commit_callbacks(execute=True), acting(cast.owner, cast.workspace) as actor:
        cf_services.definition_update(actor=actor, definition=field, data={"searchable": True})
    assert DBTaskResult.objects.filter(task_path__endswith="reindex_record_type").count() == 1
    reindex_record_type.call(workspace_id=cast.workspace.pk, provider_key="widget")
    assert find("goldfinger") == ["Plain name"]


def test_a_type_change_reindexes_the_converted_records(
    cast, acting, make_widget, find, django_capture_on_commit_callbacks
):
    choices = {"choices": [{"value": "gold", "label": "Gold member"}]}
    field = _field(cast, acting, key="tier", label="Tier", field_type="select", options=choices, searchable=True)
    make_widget("Tiered", tier="gold")
    assert find("gold member") == ["Tiered"]
    with django_capture_on_commit_callbacks(execute=True), acting(cast.owner, cast.workspace) as actor:
        cf_services.definition_change_type(actor=actor, definition=field, new_type="multi_select", new_options=choices)
    assert find("gold member") == ["Tiered"]
