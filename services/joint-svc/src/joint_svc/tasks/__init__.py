"""Joint tasks: creation per kind, actions through the engine, the append-only timeline."""
