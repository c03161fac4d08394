"""Tables of catalog-svc (every model module is imported here so Alembic sees it)."""

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # every model here maps a Table (DeclarativeBase types __table__ as any FromClause)
        __table__: ClassVar[Table]


from catalog_svc.coding import models as _coding  # noqa: E402,F401
from catalog_svc.imports import models as _imports  # noqa: E402,F401
from catalog_svc.inspection import models as _inspection  # noqa: E402,F401
from catalog_svc.items import models as _items  # noqa: E402,F401
from catalog_svc.laws import models as _laws  # noqa: E402,F401
from catalog_svc.review import models as _review  # noqa: E402,F401
