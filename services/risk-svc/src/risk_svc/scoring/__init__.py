"""scoring of risk-svc."""
