"""Data-scope helpers shared by the domains: who may see which rows, and who is calling."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import SQLColumnExpression, or_
from sqlalchemy.sql.elements import ColumnElement

from random_check_svc.settings import RandomCheckSettings
from svc_runtime.scope import DEPARTMENT_ADMIN, INSPECTOR, PLATFORM_ADMIN, DataScope


def ancestor_regions(region_code: str) -> list[str]:
    """The region itself, its city and province, and the national codes (items there apply here)."""
    return sorted({region_code, region_code[:4] + "00", region_code[:2] + "0000", "000000", "100000"})


def region_or_ancestors(scope: DataScope, column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
    """Rows of the caller's region subtree, and rows of the regions above it (items, plans that apply here)."""
    below = scope.condition(region=column)
    if scope.unrestricted or scope.principal.region_code is None:
        return below
    return or_(below, column.in_(ancestor_regions(scope.principal.region_code)))


def actor(scope: DataScope) -> str:
    """Who is acting, for audit columns."""
    return scope.principal.subject


def caller_user_id(scope: DataScope) -> uuid.UUID | None:
    try:
        return uuid.UUID(scope.principal.subject)
    except ValueError:
        return None


def only_inspector(scope: DataScope) -> bool:
    """An inspector without an administrative role: acts only on tasks drawn for them."""
    roles = scope.principal.roles
    return INSPECTOR in roles and not roles & {DEPARTMENT_ADMIN, PLATFORM_ADMIN}


def get_settings(request: Request) -> RandomCheckSettings:
    settings = request.state.settings
    assert isinstance(settings, RandomCheckSettings)
    return settings


SettingsDep = Annotated[RandomCheckSettings, Depends(get_settings)]
