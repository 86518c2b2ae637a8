"""Okrugs, districts, buildings, apartments and the city's institutions."""
