"""Types the datahub-svc test modules import (the fixtures are in datahub_fixtures)."""

from __future__ import annotations

from dataclasses import dataclass

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine

from svc_runtime.testing import TestIssuer


@dataclass
class Hub:
    client: AsyncClient
    url: str
    engine: AsyncEngine
    issuer: TestIssuer

    def auth(self, **claims: object) -> dict[str, str]:
        """Headers carrying a token with these claims (roles, region_code, department_id...)."""
        return {"authorization": f"Bearer {self.issuer.token(**claims)}"}  # type: ignore[arg-type]
