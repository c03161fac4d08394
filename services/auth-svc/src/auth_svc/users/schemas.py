"""API shapes of staff accounts (never the password hash, TOTP secret or invitation token hash)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from auth_svc.org.schemas import AnyRegionCode, LongName
from supervision_schemas.auth import StaffStatus
from supervision_schemas.identifiers import normalise_text, validate_item_code
from svc_runtime.scope import ROLES


def _role(value: str) -> str:
    if value not in ROLES:
        raise ValueError(f"unknown role {value!r}; roles: {', '.join(ROLES)}")
    return value


def _qualification(value: str) -> str:
    """A supervision domain name, or a 14-digit catalog item code."""
    value = normalise_text(value)
    return validate_item_code(value) if value.isdigit() else value


Role = Annotated[str, AfterValidator(_role)]
Qualification = Annotated[str, AfterValidator(_qualification), StringConstraints(min_length=1, max_length=100)]
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")]
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
CertificateNumber = Annotated[str, AfterValidator(normalise_text), StringConstraints(pattern=r"^[0-9A-Za-z-]{4,50}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9-]{5,32}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InspectorFields(Strict):
    certificate_number: CertificateNumber | None = None
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    qualifications: list[Qualification] | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _dates_in_order(self) -> InspectorFields:
        if self.certificate_valid_from and self.certificate_valid_until:
            if self.certificate_valid_until < self.certificate_valid_from:
                raise ValueError("certificate_valid_until is before certificate_valid_from")
        return self


class UserCreate(InspectorFields):
    username: Username
    display_name: LongName
    department_id: uuid.UUID | None = Field(default=None, description="Required except for platform administrators.")
    region_code: AnyRegionCode | None = Field(default=None, description="Defaults to the department's region.")
    roles: list[Role] = Field(default_factory=list, max_length=len(ROLES))
    password: Password | None = Field(default=None, description="Initial password; without it an invitation is made.")
    email: Email | None = None
    phone: Phone | None = None


class UserUpdate(InspectorFields):
    display_name: LongName | None = None
    department_id: uuid.UUID | None = None
    email: Email | None = None
    phone: Phone | None = None


class RolesUpdate(Strict):
    roles: list[Role] = Field(max_length=len(ROLES))


class PasswordReset(Strict):
    password: Password


class InvitationAccept(Strict):
    username: Username
    token: Annotated[str, StringConstraints(min_length=20, max_length=200)]
    password: Password


class TotpCode(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class TotpEnrolment(BaseModel):
    secret: str = Field(description="Base32 secret for the authenticator app (shown once).")
    provisioning_uri: str = Field(description="otpauth:// URI to show as a QR code.")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    department_id: uuid.UUID | None
    region_code: str | None
    roles: list[str]
    status: StaffStatus
    email: str | None
    phone: str | None
    totp_enabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    certificate_number: str | None
    certificate_valid_from: date | None
    certificate_valid_until: date | None
    qualifications: list[str]
    created_at: datetime
    modified_at: datetime | None


class UserCreated(UserRead):
    invitation_token: str | None = Field(
        default=None, description="One-time token for POST /v1/users/invitations/accept (shown once)."
    )
