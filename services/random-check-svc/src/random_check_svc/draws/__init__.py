"""Verifiable draws: stratified sampling of objects, inspector assignment, a hash-chained ledger."""
