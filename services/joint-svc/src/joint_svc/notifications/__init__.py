"""Notifications: departments told about the steps of tasks that concern them."""
