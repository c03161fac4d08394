"""`python -m bench [--only PREFIX]`: run the benchmarks, print the table, write bench-results/latest.jsonl."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench import auth, backbone, catalog, complaint, credit, datahub, gateway, joint, randomcheck, risk
from bench.harness import Figure, report
from svc_runtime.devstack import infra
from svc_runtime.devstack.topology import profile

SUITES = {
    "backbone": backbone.run,
    "gateway": gateway.run,
    "gateway_tokens": auth.run_token_check,
    "auth": auth.run,
    "catalog": catalog.run,
    "datahub": datahub.run,
    "risk": risk.run,
    "complaint": complaint.run,
    "randomcheck": randomcheck.run,
    "joint": joint.run,
    "credit": credit.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("--only", default="", help="run only figures whose name starts with this prefix")
    args = parser.parse_args()
    p = profile("test")
    infra.start_infra(p)
    figures: list[Figure] = []
    for name, run in SUITES.items():
        if args.only and not (name.startswith(args.only.split(".")[0]) or args.only.startswith(name)):
            continue
        print(f"running {name} ...", flush=True)
        figures.extend(f for f in asyncio.run(run(p)) if f.name.startswith(args.only))
    report(figures)
    sys.exit(0 if all(f.passed for f in figures) else 1)


if __name__ == "__main__":
    main()
