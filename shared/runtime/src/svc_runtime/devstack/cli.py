"""`platformctl`: run the local suite (up, down, status, migrate) with embedded real servers."""

from __future__ import annotations

import argparse
import sys

from svc_runtime.devstack import infra, stack
from svc_runtime.devstack.procs import port_open, read_pid
from svc_runtime.devstack.topology import GATEWAY, SERVICES, profile, repo_root


def _up(args: argparse.Namespace) -> int:
    p = profile(args.profile)
    print(f"starting the suite ({p.name}); state and logs in {p.root}")
    states = stack.up(p)
    ready = stack.wait_ready(p, (*SERVICES, GATEWAY), timeout=args.timeout)
    width = max(len(n) for n in ready)
    print(f"\n  {'postgres':<{width}}  {states['postgres']:<8} {p.external_postgres or f'127.0.0.1:{p.pg_port}'}")
    print(f"  {'redis':<{width}}  {states['redis']:<8} {p.redis_url}")
    print(f"  {'kafka':<{width}}  {states['kafka']:<8} {p.kafka_bootstrap}")
    for svc in (*SERVICES, GATEWAY):
        mark = "ready" if ready.get(svc.name) else "NOT READY"
        print(f"  {svc.name:<{width}}  {states[svc.name]:<8} {p.url(svc)}  {mark}")
    secrets = stack.ensure_secrets(p)
    print(
        f"""
Gateway:    {p.gateway_url}   (API docs: {p.gateway_url}/docs)
OIDC:       {p.issuer}/.well-known/openid-configuration
Client:     {secrets["AUTH_BOOTSTRAP_CLIENT_ID"]}  (secret: AUTH_BOOTSTRAP_CLIENT_SECRET in {p.secrets_file})
Logs:       {p.logs}/<process>.log
Get a token:
  curl -s -u {secrets["AUTH_BOOTSTRAP_CLIENT_ID"]}:$(grep ^AUTH_BOOTSTRAP_CLIENT_SECRET= {p.secrets_file} | cut -d= -f2) \\
       -d grant_type=client_credentials {p.issuer}/token"""
    )
    if not all(ready.values()):
        print(f"\nSome processes are not ready; see {p.logs}", file=sys.stderr)
        return 1
    return 0


def _down(args: argparse.Namespace) -> int:
    p = profile(args.profile)
    stack.down(p)
    print(f"stopped the suite ({p.name}); PostgreSQL data kept in {p.pgdata}")
    return 0


def _status(args: argparse.Namespace) -> int:
    p = profile(args.profile)
    print(f"postgres  {'up' if p.external_postgres or port_open(p.pg_port) else 'down'}")
    print(f"redis     {'up' if port_open(p.redis_port) else 'down'}")
    print(f"kafka     {'up' if p.external_kafka or port_open(p.kafka_port) else 'down'}")
    for svc in (*SERVICES, GATEWAY):
        pid = read_pid(p.pids / f"{svc.name}.pid")
        print(f"{svc.name:<13} {'up' if port_open(p.port(svc)) else 'down'}  pid={pid}  {p.url(svc)}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from svc_runtime.migrations import upgrade

    p = profile(args.profile)
    infra.start_postgres(p)
    root = repo_root()
    for svc in SERVICES:
        assert svc.database is not None
        migrations = root / "services" / svc.dist / "migrations"
        upgrade(migrations, p.postgres_url(svc.database))
        print(f"{svc.name}: migrated ({p.database_name(svc.database)})")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="platformctl", description=__doc__)
    parser.add_argument("--profile", default="dev", choices=["dev", "test"])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start infrastructure, services and gateway; wait until ready")
    up.add_argument("--timeout", type=float, default=120.0)
    up.set_defaults(func=_up)
    sub.add_parser("down", help="stop everything (data is kept)").set_defaults(func=_down)
    sub.add_parser("status", help="show what runs where").set_defaults(func=_status)
    sub.add_parser("migrate", help="apply every service's migrations").set_defaults(func=_migrate)
    args = parser.parse_args(argv)
    sys.exit(args.func(args))


if __name__ == "__main__":
    main()
