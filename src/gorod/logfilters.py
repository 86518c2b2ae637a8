"""Logging filters named in ``settings.LOGGING``."""

from __future__ import annotations

import logging

API_PREFIX = "/api/"


class ExpectedApiErrors(logging.Filter):
    """Drop Django's per-request warning for an API answer below 500.

    A 4xx from the API is an answer in the error shape (a lost race, a bad field), not a
    fault of the server: logging each one costs every lost race a formatted line. Server
    errors (5xx), and every 4xx of the pages, are still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        path = getattr(request, "path", "")
        return not (isinstance(status, int) and status < 500 and str(path).startswith(API_PREFIX))
