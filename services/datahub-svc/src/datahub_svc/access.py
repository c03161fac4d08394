"""Who may see personal identifiers, and the write-scope check used while cleaning rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from svc_runtime.problems import Problem
from svc_runtime.scope import DEPARTMENT_ADMIN, INSPECTOR, PLATFORM_ADMIN, DataScope, OutOfScope

# Roles that see resident ID and phone numbers in full; everyone else (leaders, auditors, agency
# systems, shared-data consumers) gets the masked rendering stored beside them.
PII_ROLES = frozenset({PLATFORM_ADMIN, DEPARTMENT_ADMIN, INSPECTOR})


def sees_personal_data(scope: DataScope) -> bool:
    return bool(scope.principal.roles & PII_ROLES)


@dataclass(frozen=True)
class WriteScope:
    """The write check of a caller as a value (picklable: batch imports run it in worker processes).

    Calling it with (region, department) gives the reason a row is refused, or None.
    """

    prefix: str
    department_id: str | None

    def __call__(self, region_code: str, department_id: uuid.UUID | None) -> str | None:
        if not region_code.startswith(self.prefix):
            return f"region {region_code} is outside your region"
        if department_id is not None and (self.department_id is None or str(department_id) != self.department_id):
            return "you may change only your own department's records"
        return None

    def as_json(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "department_id": self.department_id}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> WriteScope | None:
        return None if value is None else cls(prefix=value["prefix"], department_id=value.get("department_id"))


def write_checker(scope: DataScope) -> WriteScope | None:
    """The per-row check (region, department) -> refusal reason or None; None when the caller may write anywhere."""
    if scope.unrestricted:
        return None
    if scope.read_only:
        raise OutOfScope("your role may read but not change data")
    department = scope.department
    return WriteScope(prefix=scope.prefix, department_id=str(department) if department else None)


class InvalidRows(Problem):
    """Rows of a request that cannot be cleaned; `errors` lists row, field and reason of each."""

    status = 422
    title = "Invalid rows"
