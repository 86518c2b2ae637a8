"""Gorod: a city's digital services in one place."""
