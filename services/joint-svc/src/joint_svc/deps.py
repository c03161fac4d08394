"""Request dependencies of joint-svc."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from joint_svc.settings import JointSettings


def get_settings(request: Request) -> JointSettings:
    settings = request.state.settings
    return settings if isinstance(settings, JointSettings) else JointSettings(**settings.model_dump())


SettingsDep = Annotated[JointSettings, Depends(get_settings)]


async def read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A connection in autocommit for a single read statement: no BEGIN and COMMIT round trips."""
    engine: AsyncEngine = request.state.engine
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


ReadConnectionDep = Annotated[AsyncConnection, Depends(read_connection, scope="function")]
