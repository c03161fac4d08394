"""reports of risk-svc."""
