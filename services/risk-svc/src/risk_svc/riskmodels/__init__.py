"""riskmodels of risk-svc."""
