"""Where every part of the suite runs, per profile (`dev` for `make up`, `test` for the test suite)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceDef:
    name: str  # short name, used in /api/<name>/ and in database names
    dist: str  # directory under services/ (or "gateway")
    app: str  # uvicorn import path
    port_offset: int
    database: str | None
    env_prefix: str


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef("catalog", "catalog-svc", "catalog_svc.main:app", 1, "catalog", "CATALOG"),
    ServiceDef("datahub", "datahub-svc", "datahub_svc.main:app", 2, "datahub", "DATAHUB"),
    ServiceDef("random-check", "random-check-svc", "random_check_svc.main:app", 3, "random_check", "RANDOM_CHECK"),
    ServiceDef("joint", "joint-svc", "joint_svc.main:app", 4, "joint", "JOINT"),
    ServiceDef("credit", "credit-svc", "credit_svc.main:app", 5, "credit", "CREDIT"),
    ServiceDef("risk", "risk-svc", "risk_svc.main:app", 6, "risk", "RISK"),
    ServiceDef("complaint", "complaint-svc", "complaint_svc.main:app", 7, "complaint", "COMPLAINT"),
    ServiceDef("auth", "auth-svc", "auth_svc.main:app", 8, "auth", "AUTH"),
)
GATEWAY = ServiceDef("gateway", "gateway", "gateway.main:app", 0, None, "GATEWAY")


@dataclass(frozen=True)
class Profile:
    name: str
    root: Path  # state folder: data, logs, pids, secrets
    http_base: int  # gateway port; service i listens on http_base + i
    pg_port: int
    redis_port: int
    kafka_port: int

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.env"

    def port(self, svc: ServiceDef) -> int:
        return self.http_base + svc.port_offset

    def url(self, svc: ServiceDef) -> str:
        return f"http://127.0.0.1:{self.port(svc)}"

    @property
    def gateway_url(self) -> str:
        return self.url(GATEWAY)

    @property
    def issuer(self) -> str:
        return f"{self.gateway_url}/auth"

    @property
    def external_postgres(self) -> str | None:
        """A PostgreSQL server to use instead of the embedded one (`PLATFORM_POSTGRES_URL`)."""
        return os.environ.get("PLATFORM_POSTGRES_URL") or None

    @property
    def external_kafka(self) -> str | None:
        return os.environ.get("KAFKA_BOOTSTRAP") or None

    @property
    def kafka_bootstrap(self) -> str:
        return self.external_kafka or f"127.0.0.1:{self.kafka_port}"

    def postgres_url(self, database: str) -> str:
        base = self.external_postgres or f"postgresql://postgres@127.0.0.1:{self.pg_port}"
        base = base.rstrip("/")
        scheme, rest = base.split("://", 1)
        host = rest.split("/", 1)[0]
        return f"postgresql+asyncpg://{host}/{self.database_name(database)}"

    def database_name(self, database: str) -> str:
        return database if self.name == "dev" else f"{database}_{self.name}"

    @property
    def redis_url(self) -> str:
        return os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{self.redis_port}/0"


def repo_root() -> Path:
    env = os.environ.get("PLATFORM_ROOT")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "services").is_dir() and (parent / "Makefile").exists():
            return parent
    return Path.cwd()


def profile(name: str) -> Profile:
    root = repo_root() / ".run" / name
    if name == "dev":
        return Profile(
            "dev",
            root,
            http_base=int(os.environ.get("PLATFORM_HTTP_BASE", 8000)),
            pg_port=55432,
            redis_port=56379,
            kafka_port=59092,
        )
    if name == "test":
        # PLATFORM_TEST_PORT_SHIFT lets two checkouts run their test suites side by side.
        shift = int(os.environ.get("PLATFORM_TEST_PORT_SHIFT", 0))
        return Profile(
            "test",
            root if shift == 0 else root.with_name(f"test-{shift}"),
            http_base=18000 + shift,
            pg_port=55433 + shift,
            redis_port=56380 + shift,
            kafka_port=59093 + shift,
        )
    raise ValueError(f"unknown profile {name!r}")
