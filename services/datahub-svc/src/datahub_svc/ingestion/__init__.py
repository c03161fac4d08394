"""Ingestion (数据归集): API push with idempotency keys and batch files as background jobs."""
