"""catalog-svc: Supervision item catalog (监管事项目录清单) and inspection implementation lists (检查实施清单)."""
