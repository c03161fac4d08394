"""Alembic environment of risk-svc (the runtime's branch is applied alongside)."""

from risk_svc.models import Base, load_all_models
from svc_runtime.migrations import run_env

load_all_models()
run_env(Base.metadata)
