"""Tables of datahub-svc (every model module is imported here so Alembic sees it)."""

from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # every model here maps a Table (DeclarativeBase types __table__ as any FromClause)
        __table__: ClassVar[Table]


from datahub_svc.behaviour import models as _behaviour  # noqa: E402,F401
from datahub_svc.catalog import models as _catalog  # noqa: E402,F401
from datahub_svc.complaints import models as _complaints  # noqa: E402,F401
from datahub_svc.credit import models as _credit  # noqa: E402,F401
from datahub_svc.ingestion import models as _ingestion  # noqa: E402,F401
from datahub_svc.knowledge import models as _knowledge  # noqa: E402,F401
from datahub_svc.objects import models as _objects  # noqa: E402,F401
from datahub_svc.personnel import models as _personnel  # noqa: E402,F401
from datahub_svc.quality import models as _quality  # noqa: E402,F401
from datahub_svc.risk_warnings import models as _risk_warnings  # noqa: E402,F401
from datahub_svc.sharing import models as _sharing  # noqa: E402,F401
from datahub_svc.thirdparty import models as _thirdparty  # noqa: E402,F401
