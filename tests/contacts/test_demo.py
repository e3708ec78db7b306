from rapport.contacts.demo import load_demo
from rapport.contacts.models import Company, Contact
from rapport.core.demo import ensure_demo_workspace, run_demo_loaders
from rapport.core.scoping import workspace_scope


def test_demo_loader_is_idempotent_and_realistic(db):
    workspace, _ = ensure_demo_workspace(password="x-demo-password-1")
    run_demo_loaders(workspace)
    run_demo_loaders(workspace)
    with workspace_scope(workspace.pk):
        assert Company.objects.count() == 40
        assert Contact.objects.count() == 200
        assert Company.objects.filter(parent__isnull=False).count() == 3
        assert Contact.objects.exclude(primary_email="").count() == 200
    assert load_demo in __import__("rapport.core.demo", fromlist=["demo_loaders"]).demo_loaders
