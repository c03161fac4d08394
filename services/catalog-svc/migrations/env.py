"""Alembic environment of catalog-svc (the runtime's branch is applied alongside)."""

from catalog_svc.models import Base
from svc_runtime.migrations import run_env

run_env(Base.metadata)
