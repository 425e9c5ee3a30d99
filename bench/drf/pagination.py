"""Page-number pagination answering a plain list, the total in ``X-Total-Count``."""

from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.response import Response


class TotalCountPagination(pagination.PageNumberPagination):
    """Pages as plain lists; the total in ``X-Total-Count``."""

    page_size = 20
    page_size_query_param = "per_page"
    max_page_size = 100

    def get_paginated_response(self, data: Any) -> Response:
        return Response(data, headers={"X-Total-Count": str(self.page.paginator.count)})
