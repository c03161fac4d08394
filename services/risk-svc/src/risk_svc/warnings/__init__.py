"""warnings of risk-svc."""
