"""The electronic queue of the city's offices.

Tickets, counters, the live board, waiting-time estimates.
"""
