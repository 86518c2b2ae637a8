"""Consent, pseudonymisation, personal-data export and private statistics."""
