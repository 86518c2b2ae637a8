"""City telemetry.

Devices, ingestion over MQTT and HTTP, the telemetry table, queries, rules and alarms.
"""
