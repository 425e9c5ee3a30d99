"""The API: ModelSerializers, ModelViewSets, a django-filter FilterSet and a router."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from .models import Author, Book

_AUTHOR_REF = re.compile(r"^/author/(\d+)$")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A book with this title already exists"


class AuthorReferenceField(serializers.PrimaryKeyRelatedField):
    """An author as ``{"$ref": "/author/<id>"}`` (written from the foreign key alone)."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "invalid": "A reference {'$ref': '/author/<id>'} is required.",
    }

    def to_representation(self, value: Any) -> dict[str, str]:
        return {"$ref": f"/author/{value.pk}"}

    def to_internal_value(self, data: Any) -> Any:
        if not (isinstance(data, dict) and len(data) == 1 and isinstance(data.get("$ref"), str)):
            self.fail("invalid")
        match = _AUTHOR_REF.match(data["$ref"])
        if match is None:
            self.fail("invalid")
        return super().to_internal_value(int(match.group(1)))  # type: ignore[union-attr]


class BookSerializer(serializers.ModelSerializer):
    uri = serializers.SerializerMethodField()
    author = AuthorReferenceField(queryset=Author.objects.all())

    class Meta:
        model = Book
        fields = ["uri", "title", "year", "rating", "author"]

    def get_uri(self, book: Book) -> str:
        return f"/book/{book.pk}"

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["$uri"] = data.pop("uri")
        return data

    def save(self, **kwargs: Any) -> Any:
        try:
            return super().save(**kwargs)
        except IntegrityError:
            raise Conflict() from None


class BookReferenceSerializer(serializers.ModelSerializer):
    ref = serializers.SerializerMethodField()

    class Meta:
        model = Book
        fields = ["ref"]

    def get_ref(self, book: Book) -> str:
        return f"/book/{book.pk}"

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {"$ref": super().to_representation(instance)["ref"]}


class BookFilter(filters.FilterSet):
    class Meta:
        model = Book
        fields = {"year": ["gt"], "rating": ["gte"]}


class BookViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = BookFilter
    ordering_fields = ["id", "title"]
    ordering = ["id"]


class AuthorViewSet(viewsets.GenericViewSet):
    queryset = Author.objects.all()

    @action(detail=True)
    def books(self, request: Any, pk: Any = None) -> Response:
        queryset = Book.objects.filter(author_id=pk).order_by("id").only("id")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(BookReferenceSerializer(page, many=True).data)
