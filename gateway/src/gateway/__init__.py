"""The API gateway: one entry for every service."""
