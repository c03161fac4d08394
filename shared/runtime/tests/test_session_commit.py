"""The session dependency commits before the response is sent: a failed commit is a 409, never a 2xx."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from svc_runtime.db import SessionDep, create_engine, create_sessionmaker
from svc_runtime.devstack.topology import Profile
from svc_runtime.problems import install_problem_handlers
from svc_runtime.testing import create_database, random_ref, serve_in_process

router = APIRouter()


@router.post("/deferred-violation")
async def deferred_violation(session: SessionDep) -> dict[str, str]:
    # The unique check is deferred to COMMIT, so the handler itself succeeds.
    await session.execute(text("INSERT INTO t (k) VALUES (1), (1)"))
    return {"status": "created"}


@pytest.mark.asyncio(loop_scope="session")
async def test_commit_failure_is_reported_not_hidden(stack: Profile) -> None:
    url = await create_database(stack, random_ref("runtime_commit"))
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (k int, CONSTRAINT u UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)"))
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)

    @app.middleware("http")
    async def state(request, call_next):  # type: ignore[no-untyped-def]
        request.state.sessionmaker = create_sessionmaker(engine)
        return await call_next(request)

    async with serve_in_process(app) as client:
        r = await client.post("/deferred-violation")
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM t")) == 0
    await engine.dispose()
