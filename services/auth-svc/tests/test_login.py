"""authenticate(): lockout, no user enumeration, TOTP second factor, hashing off the event loop."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pyotp
import pytest
from org_helpers import TokenMaker, bearer, create_user
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.settings import AuthSettings
from auth_svc.users import service as user_service
from auth_svc.users import totp
from auth_svc.users.models import User
from svc_runtime.db import utc_now

pytest_plugins = ["auth_fixtures", "org_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="session")
PASSWORD = "correct horse battery"


async def _admin(auth_mint: TokenMaker) -> dict[str, str]:
    return bearer(await auth_mint(roles=("platform_admin",)))


async def _login(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: AuthSettings,
    username: str,
    password: str,
    code: str | None = None,
) -> User:
    async with sessionmaker() as session, session.begin():
        return await user_service.authenticate(
            session, username=username, password=password, totp_code=code, client_ip="127.0.0.1", settings=settings
        )


async def _refused(sessionmaker: async_sessionmaker[AsyncSession], settings: AuthSettings, *args: str) -> str:
    with pytest.raises(user_service.LoginFailed) as info:
        await _login(sessionmaker, settings, *args)
    assert info.value.status == 401
    return f"{info.value.code}: {info.value.detail}"


async def _user(http: httpx.AsyncClient, auth_mint: TokenMaker) -> dict[str, object]:
    return await create_user(http, await _admin(auth_mint), department_id=None, roles=["platform_admin"])


class TestAuthenticate:
    async def test_right_password_signs_in_and_gives_claims(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker, auth_settings
    ) -> None:
        created = await _user(auth_http, auth_mint)
        user = await _login(auth_sessionmaker, auth_settings, str(created["username"]), PASSWORD)
        assert str(user.id) == created["id"]
        assert user.last_login_at is not None
        claims = user_service.claims_for_user(user)
        assert claims["sub"] == created["id"]
        assert claims["roles"] == ["platform_admin"]

    async def test_failures_look_the_same_for_unknown_wrong_disabled_and_locked(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker, auth_settings
    ) -> None:
        created = await _user(auth_http, auth_mint)
        name = str(created["username"])
        unknown = await _refused(auth_sessionmaker, auth_settings, "nobody-" + name, PASSWORD)
        wrong = await _refused(auth_sessionmaker, auth_settings, name, "wrong password")
        r = await auth_http.post(f"/v1/users/{created['id']}/disable", headers=await _admin(auth_mint))
        assert r.status_code == 200, r.text
        disabled = await _refused(auth_sessionmaker, auth_settings, name, PASSWORD)
        assert unknown == wrong == disabled == "invalid_credentials: invalid username or password"

    async def test_unknown_users_take_as_long_as_known_ones(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker, auth_settings
    ) -> None:
        created = await _user(auth_http, auth_mint)

        async def timed(name: str) -> float:
            start = time.perf_counter()
            await _refused(auth_sessionmaker, auth_settings, name, "wrong password")
            return time.perf_counter() - start

        # Alternate, and compare medians: the dummy hash makes both cost one argon2 check.
        known, unknown = [], []
        for _ in range(3):
            known.append(await timed(str(created["username"])))
            unknown.append(await timed("ghost-user"))
        k, u = sorted(known)[1], sorted(unknown)[1]
        assert u > 0.5 * k, (known, unknown)
        assert k > 0.5 * u, (known, unknown)

    async def test_locks_after_max_failures_and_resets_on_success(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker, auth_settings
    ) -> None:
        created = await _user(auth_http, auth_mint)
        name = str(created["username"])
        for _ in range(auth_settings.auth_login_max_failures - 1):
            await _refused(auth_sessionmaker, auth_settings, name, "wrong password")
        await _login(auth_sessionmaker, auth_settings, name, PASSWORD)  # success resets the count
        for _ in range(auth_settings.auth_login_max_failures):
            await _refused(auth_sessionmaker, auth_settings, name, "wrong password")
        # Locked: even the right password is refused, with the same message.
        message = await _refused(auth_sessionmaker, auth_settings, name, PASSWORD)
        assert message == "invalid_credentials: invalid username or password"
        async with auth_sessionmaker() as session:
            user = await session.get(User, __import__("uuid").UUID(str(created["id"])))
            assert user is not None
            assert user.locked_until is not None
            remaining = user.locked_until - utc_now()
            assert timedelta(minutes=14) < remaining <= timedelta(minutes=auth_settings.auth_login_lockout_minutes)
        # After the lock expires the right password works again.
        async with auth_sessionmaker() as session, session.begin():
            user = await session.get(User, __import__("uuid").UUID(str(created["id"])))
            assert user is not None
            user.locked_until = utc_now() - timedelta(seconds=1)
        await _login(auth_sessionmaker, auth_settings, name, PASSWORD)

    async def test_concurrent_failures_all_count(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker, auth_settings
    ) -> None:
        created = await _user(auth_http, auth_mint)
        name = str(created["username"])
        results = await asyncio.gather(
            *[
                _login(auth_sessionmaker, auth_settings, name, "wrong")
                for _ in range(auth_settings.auth_login_max_failures)
            ],
            return_exceptions=True,
        )
        assert all(isinstance(r, user_service.LoginFailed) for r in results)
        await _refused(auth_sessionmaker, auth_settings, name, PASSWORD)  # locked

    async def test_totp_is_asked_only_after_the_right_password(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker, auth_settings
    ) -> None:
        created = await _user(auth_http, auth_mint)
        name, user_id = str(created["username"]), str(created["id"])
        me = bearer(await auth_mint(roles=("platform_admin",), subject=user_id))
        r = await auth_http.post("/v1/users/me/totp", headers=me)
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
        assert r.json()["provisioning_uri"].startswith("otpauth://totp/")
        # Not enabled until confirmed.
        await _login(auth_sessionmaker, auth_settings, name, PASSWORD)
        r = await auth_http.post("/v1/users/me/totp/confirm", json={"code": "000000"}, headers=me)
        assert r.status_code == 422, r.text
        now = time.time()
        r = await auth_http.post(
            "/v1/users/me/totp/confirm", json={"code": pyotp.TOTP(secret).at(now - 30)}, headers=me
        )
        assert r.status_code == 200, r.text
        assert r.json()["totp_enabled"] is True, r.text
        assert "secret" not in r.text.lower().replace("totp_enabled", "")

        assert await _refused(auth_sessionmaker, auth_settings, name, "wrong", None) == (
            "invalid_credentials: invalid username or password"
        )
        assert (await _refused(auth_sessionmaker, auth_settings, name, PASSWORD, None)).startswith("totp_required")
        wrong_code = "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
        assert (await _refused(auth_sessionmaker, auth_settings, name, PASSWORD, wrong_code)).startswith("invalid_totp")
        code = pyotp.TOTP(secret).now()
        await _login(auth_sessionmaker, auth_settings, name, PASSWORD, code)
        # The same code is not accepted twice.
        assert (await _refused(auth_sessionmaker, auth_settings, name, PASSWORD, code)).startswith("invalid_totp")
        # The secret is encrypted at rest.
        async with auth_sessionmaker() as session:
            user = await session.get(User, __import__("uuid").UUID(user_id))
            assert user is not None
            assert user.totp_secret is not None
            assert secret not in user.totp_secret
            assert totp.decrypt(auth_settings, user.totp_secret) == secret

    async def test_hashing_leaves_the_event_loop_free(
        self, auth_http: httpx.AsyncClient, auth_mint: TokenMaker, auth_sessionmaker, auth_settings
    ) -> None:
        created = await _user(auth_http, auth_mint)
        logins = [
            asyncio.create_task(_login(auth_sessionmaker, auth_settings, str(created["username"]), PASSWORD))
            for _ in range(4)
        ]
        await asyncio.sleep(0.005)
        r = await auth_http.get("/healthz")
        assert r.status_code == 200
        # The answer came while the logins were still hashing (their cost is measured in `make bench`).
        assert not all(t.done() for t in logins), "the health check waited for the logins"
        await asyncio.gather(*logins)
