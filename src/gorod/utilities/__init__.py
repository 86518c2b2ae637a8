"""Housing utilities.

The meter-readings e-service, validation and estimated bills, anomalies, forecasts.
"""
