"""Alembic environment of datahub-svc (the runtime's branch is applied alongside)."""

from datahub_svc.models import Base
from svc_runtime.migrations import run_env

run_env(Base.metadata)
