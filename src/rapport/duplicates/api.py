"""/api/v1/duplicates/: likely duplicate groups, the merge action, and undoing a merge."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rapport.api.permissions import IsWorkspaceMember, TokenScopePermission
from rapport.core.permissions import get_visible_or_404
from rapport.duplicates import services
from rapport.duplicates.models import Merge


class GroupSerializer(serializers.Serializer):
    reason = serializers.CharField()
    key = serializers.CharField()
    ids = serializers.ListField(child=serializers.IntegerField())


class MergeRequestSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=list(services.MODELS))
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=2)
    survivor = serializers.IntegerField()
    choices = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        default=dict,
        help_text="{field: id of the record whose value is kept}.",
    )


class MergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Merge
        fields = ["id", "survivor_id", "loser_ids", "created_at", "undone_at"]


class DuplicateViewSet(viewsets.ViewSet):
    permission_classes = [IsWorkspaceMember, TokenScopePermission]

    def _actor(self, request: Request):
        return request._request.actor

    def _writer(self, request: Request):
        actor = self._actor(request)
        if not actor.can_write:
            raise PermissionDenied("Read-only members cannot merge records.")
        return actor

    @extend_schema(
        parameters=[OpenApiParameter("record_type", str, enum=list(services.MODELS), default="contact")],
        responses={200: GroupSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        kind = request.query_params.get("record_type", "contact")
        if kind not in services.MODELS:
            raise serializers.ValidationError({"record_type": f"Choose one of: {', '.join(services.MODELS)}."})
        groups = services.scan(self._actor(request), kind)
        return Response([{"reason": g.reason, "key": g.key, "ids": [r.pk for r in g.records]} for g in groups])

    @extend_schema(request=MergeRequestSerializer, responses={201: MergeSerializer})
    @action(detail=False, methods=["post"])
    def merge(self, request: Request) -> Response:
        actor = self._writer(request)
        payload = MergeRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        record = services.merge(
            actor=actor,
            record_type=data["record_type"],
            ids=data["ids"],
            survivor_id=data["survivor"],
            choices=data["choices"],
        )
        return Response(MergeSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MergeSerializer})
    @action(detail=True, methods=["post"], url_path="undo")
    def undo(self, request: Request, pk: int) -> Response:
        actor = self._writer(request)
        record = get_visible_or_404(Merge, actor, pk, for_change=True)
        services.merge_undo(actor=actor, merge_record=record)
        return Response(MergeSerializer(record).data)
