"""Background jobs (full recompute, model training) and periodic sweeps."""
