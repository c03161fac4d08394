"""features of risk-svc."""
