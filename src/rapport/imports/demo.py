"""Demo data: a finished import that tagged three existing contacts (e-mail dedupe, policy "update")
and one CSV export. It adds no contact, so the other apps' demo figures stay as they are."""

from __future__ import annotations

from rapport.core.models import Membership, Workspace
from rapport.core.permissions import actor_for


def load_demo(workspace: Workspace) -> str:
    from rapport.contacts.models import Contact
    from rapport.exports import services as exports
    from rapport.imports import services
    from rapport.imports.models import ImportRun

    if ImportRun.all_objects.filter(workspace=workspace).exists():
        return "imports: demo import already there"
    membership = Membership.objects.filter(workspace=workspace, role="owner").select_related("user").first()
    if membership is None:
        return "imports: no owner to import as"
    actor = actor_for(membership.user, workspace)
    people = list(Contact.objects.exclude(primary_email="").order_by("id")[:3])
    rows = "".join(f"{c.first_name},{c.last_name},{c.primary_email},Trade fair lead\n" for c in people)
    content = ("First Name,Last Name,E-mail Address,Job Title\n" + (rows or "Demo,Person,,\n")).encode()
    run = services.import_upload(actor=actor, file_name="trade-fair-leads.csv", content=content)
    services.import_configure(actor=actor, run=run, dedupe_key="email", dedupe_policy="update", tags=["trade fair"])
    if people:
        services.import_start(actor=actor, run=run, background=False)
        run = services.import_execute(actor=actor, run_id=run.pk)
    exports.export_request(actor=actor, record_type="contact", columns=["name", "email"])
    return f"imports: a demo import updating {run.updated_count} contacts, one export"
