"""The department that owns the list of a region (事项汇聚审核: it reviews what departments submit)."""

from __future__ import annotations

import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from catalog_svc.models import Base
from svc_runtime.db import TimestampMixin


class ListOwner(TimestampMixin, Base):
    """The owner of a region's list; the nearest owner up the region tree reviews an item."""

    __tablename__ = "list_owners"

    region_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(index=True)
    department_name: Mapped[str] = mapped_column(String(200))
