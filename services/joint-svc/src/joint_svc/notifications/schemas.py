"""Response models of notifications."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from supervision_schemas.joint import JointTaskKind, NotificationReason


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    department_id: uuid.UUID
    task_id: uuid.UUID
    task_no: str
    kind: JointTaskKind
    reason: NotificationReason
    message: str
    event_seq: int | None
    escalation_level: int | None
    created_at: datetime
    read_at: datetime | None
    read_by: str | None
