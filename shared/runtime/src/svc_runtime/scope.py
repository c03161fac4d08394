"""Data scope (数据权限): what a caller may read and write, by region subtree and department.

Tokens carry the caller's `region_code` (GB/T 2260) and `department_id`. A region code names a
subtree by its significant prefix: 340000 (a province) covers 34xxxx, 341600 (a city) covers
3416xx, 341602 (a county) only itself; 000000 or 100000 is national and covers everything.

- `platform_admin` reads and writes everything.
- `leader` and `auditor` read their whole region subtree (every department) and write nothing.
- Everyone else (department administrators, inspectors, agency-system clients) reads and writes
  within their region subtree, and only their own department where a record has one.
- A caller whose token has no region is refused, not shown everything.

Services apply it with one dependency: `scope.filter(select(...), region=Model.region_code,
department=Model.department_id)` for reads and `scope.check_write(region_code=..., department_id=...)`
before writes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy import Select, SQLColumnExpression, true
from sqlalchemy.sql.elements import ColumnElement

from svc_runtime.auth import CurrentPrincipal, Principal
from svc_runtime.problems import Forbidden

PLATFORM_ADMIN = "platform_admin"
DEPARTMENT_ADMIN = "department_admin"
INSPECTOR = "inspector"
LEADER = "leader"
AUDITOR = "auditor"
AGENCY_SYSTEM = "agency_system"
ROLES = (PLATFORM_ADMIN, DEPARTMENT_ADMIN, INSPECTOR, LEADER, AUDITOR, AGENCY_SYSTEM)
READ_ONLY_ROLES = frozenset({LEADER, AUDITOR})

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def region_prefix(region_code: str) -> str:
    """The significant prefix of a GB/T 2260 code ('' for national)."""
    if region_code in ("000000", "100000"):
        return ""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code


def region_contains(outer: str, inner: str) -> bool:
    """Whether region `inner` lies in the subtree of region `outer`."""
    return inner.startswith(region_prefix(outer))


class OutOfScope(Forbidden):
    title = "Outside your data scope"


@dataclass(frozen=True)
class DataScope:
    principal: Principal

    @property
    def unrestricted(self) -> bool:
        return PLATFORM_ADMIN in self.principal.roles

    @property
    def read_only(self) -> bool:
        return not self.unrestricted and bool(self.principal.roles) and self.principal.roles <= READ_ONLY_ROLES

    @property
    def all_departments(self) -> bool:
        """Leaders and auditors read every department of their region."""
        return self.unrestricted or bool(self.principal.roles & READ_ONLY_ROLES)

    @property
    def prefix(self) -> str:
        if self.principal.region_code is None:
            raise OutOfScope("your token carries no region; ask an administrator to assign one")
        return region_prefix(self.principal.region_code)

    @property
    def department(self) -> uuid.UUID | None:
        dept = self.principal.department_id
        return uuid.UUID(str(dept)) if dept else None

    def condition(
        self, *, region: SQLColumnExpression[Any] | None = None, department: SQLColumnExpression[Any] | None = None
    ) -> ColumnElement[bool]:
        """The WHERE clause that limits a query to what the caller may read."""
        if self.unrestricted:
            return true()
        clauses: list[ColumnElement[bool]] = []
        if region is not None and self.prefix:
            clauses.append(region.startswith(self.prefix, autoescape=True))
        if department is not None and not self.all_departments:
            if self.department is None:
                raise OutOfScope("your token carries no department")
            clauses.append(department == self.department)
        if not clauses:
            return true()
        result = clauses[0]
        for clause in clauses[1:]:
            result = result & clause
        return result

    def filter(
        self,
        statement: S,
        *,
        region: SQLColumnExpression[Any] | None = None,
        department: SQLColumnExpression[Any] | None = None,
    ) -> S:
        """Limit a select to the caller's scope."""
        return statement.where(self.condition(region=region, department=department))

    def can_read(self, *, region_code: str | None, department_id: uuid.UUID | str | None = None) -> bool:
        if self.unrestricted:
            return True
        if region_code is not None and not region_code.startswith(self.prefix):
            return False
        if department_id is not None and not self.all_departments:
            return self.department is not None and str(department_id) == str(self.department)
        return True

    def check_read(self, *, region_code: str | None, department_id: uuid.UUID | str | None = None) -> None:
        if not self.can_read(region_code=region_code, department_id=department_id):
            raise OutOfScope("this record is outside your region or department")

    def check_write(self, *, region_code: str | None, department_id: uuid.UUID | str | None = None) -> None:
        """Refuse a write outside the caller's region subtree or department (or by a read-only role)."""
        if self.unrestricted:
            return
        if self.read_only:
            raise OutOfScope("your role may read but not change data")
        if region_code is not None and not region_code.startswith(self.prefix):
            raise OutOfScope(f"region {region_code} is outside your region")
        if department_id is not None and (self.department is None or str(department_id) != str(self.department)):
            raise OutOfScope("you may change only your own department's records")


async def get_data_scope(principal: CurrentPrincipal) -> DataScope:
    return DataScope(principal)


DataScopeDep = Annotated[DataScope, Depends(get_data_scope)]
