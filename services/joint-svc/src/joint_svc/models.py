"""Tables of joint-svc: the declarative base; each domain's models.py defines its tables on it."""

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # every model here maps a Table (DeclarativeBase types __table__ as any FromClause)
        __table__: ClassVar[Table]


def load_all_models() -> None:
    """Import every domain's tables so that Base.metadata is complete (migrations, tests)."""
    from joint_svc.evidence import models as _evidence  # noqa: F401
    from joint_svc.notifications import models as _notifications  # noqa: F401
    from joint_svc.routing import models as _routing  # noqa: F401
    from joint_svc.tasks import models as _tasks  # noqa: F401
