import pytest
from django.db import DatabaseError, transaction

from rapport.core.models import SecurityEvent
from rapport.core.security import SecurityKind, log_security_event


def test_security_log_refuses_update_and_delete_even_in_raw_sql(cast):
    event = log_security_event(SecurityKind.EXPORT, user=cast.owner, workspace=cast.workspace, rows=3)
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).update(kind="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).delete()
    assert SecurityEvent.objects.get(pk=event.pk).kind == SecurityKind.EXPORT


def test_login_success_and_failure_are_logged(cast, client):
    client.post("/accounts/login/", {"login": cast.sales.email, "password": "wrong"})
    client.post("/accounts/login/", {"login": cast.sales.email, "password": "correct horse battery staple"})
    kinds = list(SecurityEvent.objects.filter(user=cast.sales).order_by("at", "id").values_list("kind", flat=True))
    assert kinds == [SecurityKind.LOGIN_FAILED, SecurityKind.LOGIN_SUCCEEDED]
