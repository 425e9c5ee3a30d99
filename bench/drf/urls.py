"""The router: ``/book``, ``/book/<pk>`` and ``/author/<pk>/books``."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import AuthorViewSet, BookViewSet

router = SimpleRouter(trailing_slash=False)
router.register("book", BookViewSet)
router.register("author", AuthorViewSet)
urlpatterns = router.urls
