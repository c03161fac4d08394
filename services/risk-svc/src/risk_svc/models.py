"""Tables of risk-svc: the declarative base; each domain's models.py defines its tables on it."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_all_models() -> None:
    """Import every domain's tables so that Base.metadata is complete (migrations, tests)."""
    from risk_svc.features import models as _features  # noqa: F401
    from risk_svc.riskmodels import models as _riskmodels  # noqa: F401
    from risk_svc.warnings import models as _warnings  # noqa: F401
