"""Tables of complaint-svc (the declarative base; each domain's tables live in its own models module)."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_all() -> None:
    """Import every domain's models so that Base.metadata knows all tables (migrations, tests)."""
    from complaint_svc.complaints import models as _complaints  # noqa: F401
    from complaint_svc.hotspots import models as _hotspots  # noqa: F401
    from complaint_svc.objects import models as _objects  # noqa: F401
    from complaint_svc.routing import models as _routing  # noqa: F401
