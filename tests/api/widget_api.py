"""A RecordViewSet over the test-only Widget (an owned record), routed only in these tests.

Teams are visible to every member; widgets exercise ownership visibility, can_change() and the
create/update/delete hooks the way contacts or deals will.
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from rapport.api.serializers import MemberField, RecordSerializer, VisibleRecordField
from rapport.api.viewsets import RecordViewSet
from rapport.core.models import Team
from tests.sampleapp.models import Widget


class WidgetSerializer(RecordSerializer):
    owner = MemberField(allow_null=True, required=False)
    team = VisibleRecordField(Team, allow_null=True, required=False)

    class Meta:
        model = Widget
        fields = ["id", "name", "notes", "quantity", "owner", "team", "version", "created_at"]
        read_only_fields = ["id", "version", "created_at"]


class WidgetViewSet(RecordViewSet):
    model = Widget
    serializer_class = WidgetSerializer
    ordering_fields = ("name", "quantity", "created_at")

    def get_base_queryset(self):
        return Widget.objects.select_related("owner")


router = SimpleRouter(use_regex_path=False)
router.register("widgets", WidgetViewSet, basename="widget")

urlpatterns = [
    path("api/v1/", include((router.urls, "widgets_api"))),
    path("", include("rapport.urls")),
]
