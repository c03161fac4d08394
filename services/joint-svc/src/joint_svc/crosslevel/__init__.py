"""Across levels: tasks dispatched by the national or provincial system arrive as events."""
