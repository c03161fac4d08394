"""Hot spots (热点): clusters of recent complaints by industry, region or object, published for risk-svc."""
