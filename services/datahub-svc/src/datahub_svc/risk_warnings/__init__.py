"""Risk warnings of risk-svc, kept for object profiles."""
