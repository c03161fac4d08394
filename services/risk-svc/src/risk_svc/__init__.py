"""risk-svc: Risk early warning (风险预警): streaming features, rule and learned models, warnings and feedback."""
