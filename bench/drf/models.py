"""The workload's two tables as Django models (the tables exist: Django does not manage them)."""

from __future__ import annotations

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=120)

    class Meta:
        app_label = "drf"
        db_table = "author"
        managed = False


class Book(models.Model):
    title = models.CharField(max_length=200, unique=True)
    year = models.IntegerField()
    rating = models.FloatField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    class Meta:
        app_label = "drf"
        db_table = "book"
        managed = False
