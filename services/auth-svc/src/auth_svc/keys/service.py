"""Signing keys: generation, rotation, publication, and the per-process keyring that signs and verifies."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_svc.keys.models import SigningKey
from auth_svc.settings import AuthSettings
from svc_runtime.db import utc_now

ALGORITHM = "RS256"
RSA_KEY_BITS = 2048
# pg_advisory_xact_lock id serialising key creation and rotation across replicas.
_KEYS_LOCK_ID = 0x61757468_6B657973  # "authkeys"
# Least time between two reloads triggered by an unknown kid (protects the database from junk tokens).
_UNKNOWN_KID_RELOAD_S = 1.0


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK (base64url SHA-256 of its canonical required members)."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def generate_key() -> SigningKey:
    """A new active RSA-2048 key whose kid is its JWK thumbprint (blocking: run in a thread)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    kid = jwk_thumbprint(jwk)
    public_jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": ALGORITHM, "n": jwk["n"], "e": jwk["e"]}
    return SigningKey(
        kid=kid, algorithm=ALGORITHM, private_key_pem=pem, public_jwk=public_jwk, active=True, created_at=utc_now()
    )


async def _lock(session: AsyncSession) -> None:
    await session.execute(select(func.pg_advisory_xact_lock(_KEYS_LOCK_ID)))


async def get_active(session: AsyncSession) -> SigningKey | None:
    return await session.scalar(select(SigningKey).where(SigningKey.active.is_(True)))


async def list_published(session: AsyncSession, *, now: datetime | None = None) -> Sequence[SigningKey]:
    """Keys whose public half is published: the active one first, then retired ones not yet expired."""
    now = now or utc_now()
    statement = (
        select(SigningKey)
        .where(or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > now))
        .order_by(SigningKey.active.desc(), SigningKey.created_at.desc())
    )
    return (await session.scalars(statement)).all()


async def rotate(session: AsyncSession, *, grace_s: int) -> tuple[SigningKey, SigningKey | None]:
    """Make a new key active; the previous one stays published for `grace_s`. Returns (new, retired)."""
    await _lock(session)
    now = utc_now()
    retired = await get_active(session)
    if retired is not None:
        retired.active = False
        retired.retired_at = now
        retired.expires_at = now + timedelta(seconds=grace_s)
        await session.flush()  # before the insert: at most one active key (partial unique index)
    # Private keys no token can need any more are deleted rather than kept around.
    await session.execute(delete(SigningKey).where(SigningKey.expires_at <= now))
    key = await asyncio.to_thread(generate_key)
    session.add(key)
    await session.flush()
    return key, retired


async def ensure_active(session: AsyncSession, *, rotate_after_s: int, grace_s: int) -> SigningKey:
    """The active key, created if there is none and rotated if older than `rotate_after_s` (0: never)."""
    await _lock(session)
    active = await get_active(session)
    if active is None or (rotate_after_s and utc_now() - active.created_at >= timedelta(seconds=rotate_after_s)):
        active, _ = await rotate(session, grace_s=grace_s)
    return active


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: rsa.RSAPrivateKey


class Keyring:
    """This process's view of the signing keys, re-read from the database every few seconds.

    Signing uses the cached active key; a rotation made by another replica is picked up at the next
    refresh, which is why retired keys stay published a little longer than the token lifetime.
    Verification (of the management API's bearer tokens) uses the public keys, reloading once when
    a token names an unknown kid.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: AuthSettings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._active: ActiveKey | None = None
        self._public: dict[str, rsa.RSAPublicKey] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Re-read the keys (rotating first when the active key is missing or too old)."""
        settings = self._settings
        async with self._sessionmaker() as session, session.begin():
            active = await get_active(session)
            too_old = settings.auth_signing_key_rotate_after_s and (
                active is None
                or utc_now() - active.created_at >= timedelta(seconds=settings.auth_signing_key_rotate_after_s)
            )
            if active is None or too_old:
                active = await ensure_active(
                    session,
                    rotate_after_s=settings.auth_signing_key_rotate_after_s,
                    grace_s=settings.signing_key_grace_s,
                )
            published = await list_published(session)
            if self._active is None or self._active.kid != active.kid:
                private_key = await asyncio.to_thread(
                    serialization.load_pem_private_key, active.private_key_pem.encode(), None
                )
                assert isinstance(private_key, rsa.RSAPrivateKey)
                self._active = ActiveKey(active.kid, private_key)
        public: dict[str, rsa.RSAPublicKey] = {}
        for key in published:
            loaded = RSAAlgorithm.from_jwk(key.public_jwk)
            if isinstance(loaded, rsa.RSAPublicKey):
                public[key.kid] = loaded
        self._public = public
        self._loaded_at = time.monotonic()

    async def _refresh_if_older_than(self, max_age_s: float) -> None:
        if time.monotonic() - self._loaded_at < max_age_s:
            return
        async with self._lock:
            if time.monotonic() - self._loaded_at >= max_age_s:
                await self.refresh()

    async def signing_key(self) -> ActiveKey:
        """The key to sign with now."""
        await self._refresh_if_older_than(self._settings.auth_signing_key_refresh_s)
        assert self._active is not None
        return self._active

    async def verification_key(self, kid: str) -> rsa.RSAPublicKey | None:
        """The published public key with this kid, if any."""
        key = self._public.get(kid)
        if key is None:
            await self._refresh_if_older_than(_UNKNOWN_KID_RELOAD_S)
            key = self._public.get(kid)
        return key

    async def rotate(self) -> tuple[SigningKey, SigningKey | None]:
        """Rotate now (committed at once) and start signing with the new key."""
        async with self._lock:
            async with self._sessionmaker() as session, session.begin():
                new, retired = await rotate(session, grace_s=self._settings.signing_key_grace_s)
            await self.refresh()
        return new, retired
