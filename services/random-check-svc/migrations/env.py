"""Alembic environment of random-check-svc (the runtime's branch is applied alongside)."""

from random_check_svc.models import Base
from svc_runtime.migrations import run_env

run_env(Base.metadata)
