"""Public credit disclosure (no token, public fields only)."""
