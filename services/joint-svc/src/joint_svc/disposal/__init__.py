"""Disposal tasks opened from risk warnings; their outcome goes back to risk-svc."""
