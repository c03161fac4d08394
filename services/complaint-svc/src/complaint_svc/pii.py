"""Complainants' personal data: validated, encrypted at rest, masked for everyone but the handler.

Name, phone, resident identity number and e-mail are stored twice: encrypted (Fernet, key from the
PII_KEY setting) and masked. Lists, details, events, Open311 and the public status show the masked
form; only `GET /v1/complaints/{id}/complainant` decrypts, for the responsible handler, and records
that it did. Nothing here is ever logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from supervision_schemas.identifiers import normalise_text, validate_resident_id

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,}$")
# What personal data looks like inside free text (descriptions shown publicly are scrubbed of it).
_TEXT_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_TEXT_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def normalise_phone(value: str) -> str:
    """A mainland mobile (11 digits) or landline (area code, dash, number); raise ValueError otherwise."""
    phone = normalise_text(value).replace(" ", "").replace("+86", "")
    if _MOBILE.match(phone):
        return phone
    if _LANDLINE.match(phone):
        digits = phone.replace("-", "")
        area = 3 if digits[:2] in ("01", "02") else 4
        return f"{digits[:area]}-{digits[area:]}"
    raise ValueError("phone must be a mainland mobile number (11 digits) or a landline with area code")


def normalise_email(value: str) -> str:
    email = normalise_text(value)
    if not _EMAIL.match(email):
        raise ValueError("email is not a valid address")
    return email


def normalise_id_number(value: str) -> str:
    return validate_resident_id(value)


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if "-" in phone:
        area, number = phone.split("-", 1)
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(number: str | None) -> str | None:
    if not number:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_email(email: str | None) -> str | None:
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def scrub_text(text: str) -> str:
    """Free text with identity and mobile numbers masked (for what the public may read)."""
    text = _TEXT_ID.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _TEXT_MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


@dataclass(frozen=True)
class Complainant:
    """Personal data in the clear (only while handling a request; never logged, never in events)."""

    anonymous: bool
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    email: str | None = None

    def __repr__(self) -> str:  # a stray log line must not carry it
        return f"Complainant(anonymous={self.anonymous}, ...)"


class Vault:
    """Encrypts and decrypts personal data with the service's key."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, value: str | None) -> bytes | None:
        return self._fernet.encrypt(value.encode()) if value else None

    def open(self, token: bytes | None) -> str | None:
        if not token:
            return None
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            return None

    def columns(self, person: Complainant) -> dict[str, object]:
        """The stored columns of a complainant: encrypted and masked values."""
        return {
            "anonymous": person.anonymous,
            "name_enc": self.seal(person.name),
            "name_masked": mask_name(person.name),
            "phone_enc": self.seal(person.phone),
            "phone_masked": mask_phone(person.phone),
            "id_number_enc": self.seal(person.id_number),
            "id_number_masked": mask_id_number(person.id_number),
            "email_enc": self.seal(person.email),
            "email_masked": mask_email(person.email),
        }
