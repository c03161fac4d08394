"""TOTP second factor (RFC 6238, 30 s steps, 6 digits): secrets encrypted at rest, codes accepted once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pyotp
from cryptography.fernet import Fernet, InvalidToken

from auth_svc.settings import AuthSettings
from svc_runtime.problems import ServiceUnavailable

STEP_S = 30
DIGITS = 6
# Codes of the previous and next step are accepted too (clock drift of up to 30 s).
VALID_WINDOW = 1
ISSUER_NAME = "互联网+监管"
_PREFIX = "fernet:"


class TotpNotConfigured(ServiceUnavailable):
    title = "TOTP is not configured"


def _cipher(settings: AuthSettings) -> Fernet:
    if settings.auth_totp_encryption_key is not None:
        return Fernet(settings.auth_totp_encryption_key.get_secret_value().encode())
    if settings.auth_bootstrap_client_secret is not None:
        # Fallback for development: a key derived from another deployment secret (domain-separated).
        material = b"auth-svc totp-at-rest v1:" + settings.auth_bootstrap_client_secret.get_secret_value().encode()
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material).digest()))
    raise TotpNotConfigured("set AUTH_TOTP_ENCRYPTION_KEY to use a second factor")


def new_secret() -> str:
    return pyotp.random_base32()


def encrypt(settings: AuthSettings, secret: str) -> str:
    return _PREFIX + _cipher(settings).encrypt(secret.encode()).decode()


def decrypt(settings: AuthSettings, stored: str) -> str | None:
    """The plain secret, or None when it cannot be decrypted (e.g. the key changed)."""
    if not stored.startswith(_PREFIX):
        return None
    try:
        return _cipher(settings).decrypt(stored[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        return None


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(name=username, issuer_name=ISSUER_NAME)


def verify(secret: str, code: str | None, *, last_step: int | None, now: float | None = None) -> int | None:
    """The time step the code belongs to if it is valid and newer than `last_step`; None otherwise."""
    if not code or not code.isdigit() or len(code) != DIGITS:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = int((time.time() if now is None else now) // STEP_S)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None
