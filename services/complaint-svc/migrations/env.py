"""Alembic environment of complaint-svc (the runtime's branch is applied alongside)."""

from complaint_svc.models import Base, load_all
from svc_runtime.migrations import run_env

load_all()
run_env(Base.metadata)
