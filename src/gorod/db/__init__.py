"""Gorod's PostgreSQL backend: Django's, with a health check that spares busy connections
(``ENGINE = "gorod.db"``; the settings choose it for a PostgreSQL ``DATABASE_URL``)."""
