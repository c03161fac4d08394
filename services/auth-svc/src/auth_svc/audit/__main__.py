"""`python -m auth_svc.audit verify`: recompute the audit log's hash chain (DATABASE_URL); exit 1 if broken."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from auth_svc.audit.service import verify
from auth_svc.settings import AuthSettings
from svc_runtime.db import create_engine


async def _verify(database_url: str) -> int:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            result = await verify(connection)
    finally:
        await engine.dispose()
    report = {"ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq, "reason": result.reason}
    sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    return 0 if result.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth_svc.audit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="recompute the hash chain and report the first broken row")
    parser.parse_args(argv)
    return asyncio.run(_verify(AuthSettings().database_url))


if __name__ == "__main__":
    sys.exit(main())
