"""`python -m risk_svc.cli {rebuild-features,seed-models}`: operator commands, configured like the service (env)."""

from __future__ import annotations

import argparse
import asyncio
import uuid

from risk_svc.features import service as feature_service
from risk_svc.features.models import FeatureRebuild, RebuildStatus
from risk_svc.riskmodels.service import ensure_builtin_models
from risk_svc.scoring.consumers import GROUP, SignalProcessor
from svc_runtime.db import create_engine, create_sessionmaker
from svc_runtime.settings import ServiceSettings


async def rebuild_features(settings: ServiceSettings, group: str) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    processor = SignalProcessor(settings, scoring=False, group=group)
    rebuild_id = uuid.uuid4()
    async with sessionmaker() as session, session.begin():
        session.add(FeatureRebuild(id=rebuild_id, status=RebuildStatus.RUNNING, requested_by="cli", records_read=0))
    try:
        await feature_service.rebuild(settings, sessionmaker, processor.subscription(), processor.hot, rebuild_id)
        async with sessionmaker() as session:
            row = await session.get(FeatureRebuild, rebuild_id)
            assert row is not None
            print(f"rebuild {row.status}: {row.records_read} records replayed{' - ' + row.error if row.error else ''}")
    finally:
        await processor.hot.close()
        await engine.dispose()


async def seed_models(settings: ServiceSettings) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    async with create_sessionmaker(engine)() as session, session.begin():
        created = await ensure_builtin_models(session, actor="cli")
    await engine.dispose()
    print(f"built-in models trained and registered: {created}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="risk_svc.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rebuild = sub.add_parser("rebuild-features", help="empty the feature state and replay the signal topics")
    rebuild.add_argument("--group", default=GROUP, help="the signal consumer group whose processed events to reset")
    sub.add_parser("seed-models", help="train and register version 1 of the five built-in models where missing")
    args = parser.parse_args()
    settings = ServiceSettings(service_name="risk-svc")
    if args.command == "rebuild-features":
        asyncio.run(rebuild_features(settings, args.group))
    else:
        asyncio.run(seed_models(settings))


if __name__ == "__main__":
    main()
