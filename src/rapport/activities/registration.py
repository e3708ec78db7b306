"""What activities plugs into the lower apps: navigation, the timeline panel, demo data, signals."""

from __future__ import annotations


def register() -> None:
    from rapport.activities import events, panels
    from rapport.activities.demo import load_demo
    from rapport.core.demo import demo_loaders
    from rapport.core.registry import NavItem, RecordPanel, registry

    registry.add_nav(NavItem(label="Tasks", url_name="activities:my_tasks", order=50))
    registry.add_nav(NavItem(label="Calendar", url_name="activities:calendar", order=55))
    registry.add_panel(
        RecordPanel(
            "activities.timeline",
            "Timeline",
            ("contacts.contact", "contacts.company", "sales.deal"),
            "activities/panels/timeline.html",
            panels.timeline_panel,
            10,
        )
    )
    if load_demo not in demo_loaders:
        demo_loaders.append(load_demo)
    events.connect()
