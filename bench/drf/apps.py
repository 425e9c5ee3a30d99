from __future__ import annotations

from django.apps import AppConfig


class BenchDRFConfig(AppConfig):
    name = "bench.drf"
    label = "drf"
    default_auto_field = "django.db.models.AutoField"
