"""The booking core.

Resources with working calendars, slots, and bookings with the FHIR life cycle.
"""
