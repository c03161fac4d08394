"""Tables of random-check-svc (every model module is imported here so Alembic sees it)."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


from random_check_svc.draws import models as _draws  # noqa: E402,F401
from random_check_svc.library import models as _library  # noqa: E402,F401
from random_check_svc.plans import models as _plans  # noqa: E402,F401
from random_check_svc.tasks import models as _tasks  # noqa: E402,F401
