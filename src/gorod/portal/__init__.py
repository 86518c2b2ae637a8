"""Base pages, the citizen cabinet and city dashboards."""
