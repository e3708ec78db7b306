"""Demo activities load once, through the services (links, tasks, no private notes)."""

from __future__ import annotations

from rapport.activities.demo import load_demo
from rapport.activities.models import Activity, ActivityLink, Task
from tests.contacts.factories import make_contact


def test_demo_activities_load_once_on_the_first_contacts(cast):
    people = [make_contact(cast.owner, cast.workspace) for _ in range(3)]
    assert load_demo(cast.workspace) == "activities: 9 activities"
    assert Activity.objects.filter(kind="call").count() == 3 and Task.objects.count() == 3
    for person in people:
        kinds = set(
            ActivityLink.objects.filter(target_id=person.pk, target_type="contacts.contact").values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"call", "note", "task"}
    assert load_demo(cast.workspace) == "activities: demo data already loaded"
    assert Activity.objects.exclude(kind="event").count() == 9
