"""Declarative base of auth-svc; importing every model module here lets Alembic see all tables."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from svc_runtime.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Module imports (not names), so that importing any one model module first still works.
import auth_svc.audit.models  # noqa: E402
import auth_svc.clients.models  # noqa: E402
import auth_svc.federation.models  # noqa: E402
import auth_svc.keys.models  # noqa: E402
import auth_svc.org.models  # noqa: E402
import auth_svc.sessions.models  # noqa: E402
import auth_svc.tokens.models  # noqa: E402
import auth_svc.users.models  # noqa: E402, F401
