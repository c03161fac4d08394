"""The object view kept from the data hub, and the grading inputs kept from events (signals, warnings)."""
