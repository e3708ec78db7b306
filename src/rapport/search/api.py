"""GET /api/v1/search/?q=...&types=contact,company: global search hits, permission-checked."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rapport.api.permissions import IsWorkspaceMember, TokenScopePermission

MAX_LIMIT = 50


class HitSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Record type key, e.g. contact.")
    id = serializers.IntegerField()
    label = serializers.CharField()
    detail = serializers.CharField(help_text="A second line: email, company...")
    url = serializers.CharField(help_text="The record's page in the web app.")


class SearchResultSerializer(serializers.Serializer):
    results = HitSerializer(many=True)


class SearchView(APIView):
    """Find records of every searchable type by name, email, phone (any format), domain or custom text."""

    permission_classes = [IsWorkspaceMember, TokenScopePermission]

    @extend_schema(
        operation_id="search",
        parameters=[
            OpenApiParameter("q", str, required=True, description="What to look for (at most 200 characters)."),
            OpenApiParameter("types", str, description="Comma-separated type keys to search, e.g. contact,company."),
            OpenApiParameter("limit", int, description=f"Number of hits, 1 to {MAX_LIMIT} (default 20)."),
        ],
        responses=SearchResultSerializer,
    )
    def get(self, request: Request) -> Response:
        from rapport.search.providers import provider_keys
        from rapport.search.query import search

        query = request.query_params.get("q", "")
        if len(query) > 200:
            raise serializers.ValidationError({"q": ["Use at most 200 characters."]})
        types = None
        if request.query_params.get("types"):
            types = [t.strip() for t in request.query_params["types"].split(",") if t.strip()]
            unknown = sorted(set(types) - set(provider_keys()))
            if unknown:
                known = ", ".join(provider_keys()) or "none yet"
                raise serializers.ValidationError(
                    {"types": [f"Unknown type(s): {', '.join(unknown)}. Known: {known}."]}
                )
        try:
            limit = int(request.query_params.get("limit", 20))
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise serializers.ValidationError({"limit": [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
        hits = search(request._request.actor, query, types=types, limit=limit)
        results = [{"type": h.type, "id": h.id, "label": h.label, "detail": h.detail, "url": h.url} for h in hits]
        return Response({"results": results})
