"""Tables of joint-svc: the declarative base; each domain's models.py defines its tables on it."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_all_models() -> None:
    """Import every domain's tables so that Base.metadata is complete (migrations, tests)."""
    from joint_svc.evidence import models as _evidence  # noqa: F401
    from joint_svc.notifications import models as _notifications  # noqa: F401
    from joint_svc.routing import models as _routing  # noqa: F401
    from joint_svc.tasks import models as _tasks  # noqa: F401
