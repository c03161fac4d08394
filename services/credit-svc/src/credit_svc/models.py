"""Tables of credit-svc: the declarative base and every domain's models (so Alembic sees them all)."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_all_models() -> None:
    """Import every domain's models so that `Base.metadata` holds all tables."""
    from credit_svc.audit import models as _audit  # noqa: F401
    from credit_svc.grading import models as _grading  # noqa: F401
    from credit_svc.jobs import models as _jobs  # noqa: F401
    from credit_svc.learning import models as _learning  # noqa: F401
    from credit_svc.lists import models as _lists  # noqa: F401
    from credit_svc.objects import models as _objects  # noqa: F401
    from credit_svc.overrides import models as _overrides  # noqa: F401
    from credit_svc.records import models as _records  # noqa: F401
