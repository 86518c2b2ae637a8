"""The shapes of releases as open data, shared by the API and the downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from gorod.privacy.datasets import DATASETS
from gorod.privacy.dp import Noise
from gorod.privacy.models import Release


class ReleaseSummaryOut(Schema):
    id: int
    dataset: str
    title: str
    epsilon: float
    delta: float
    mechanism: str
    created_at: dt.datetime
    accuracy: dict[str, Noise]

    @staticmethod
    def resolve_title(release: Release) -> str:
        dataset = DATASETS.get(release.dataset)
        return str(dataset.title) if dataset else release.dataset


class ReleaseOut(ReleaseSummaryOut):
    columns: list[str]
    rows: list[list[Any]]
    parameters: dict[str, Any]

    @staticmethod
    def resolve_columns(release: Release) -> list[str]:
        return list(release.table.get("columns", []))

    @staticmethod
    def resolve_rows(release: Release) -> list[list[Any]]:
        return list(release.table.get("rows", []))
