"""Complaints dispatched by the national (or provincial) complaint platform, arriving as events."""
