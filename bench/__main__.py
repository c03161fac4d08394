"""`python -m bench [--only PREFIX]`: run the benchmarks, print the table, write bench-results/latest.jsonl."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from dataclasses import asdict

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
    parser.add_argument("--suite", default="", help=argparse.SUPPRESS)  # internal: one suite, figures as JSON
    args = parser.parse_args()
    p = profile("test")
    if args.suite:
        figures = [f for f in asyncio.run(SUITES[args.suite](p)) if f.name.startswith(args.only)]
        print(SUITE_RESULT + json.dumps([asdict(f) for f in figures], ensure_ascii=False), flush=True)
        return
    infra.start_infra(p)
    figures: list[Figure] = []
    for name in SUITES:
        if args.only and not (name.startswith(args.only.split(".")[0]) or args.only.startswith(name)):
            continue
        print(f"running {name} ...", flush=True)
        figures.extend(run_suite(name, args.only))
    report(figures)
    sys.exit(0 if all(f.passed for f in figures) else 1)


SUITE_RESULT = "bench-suite-result: "


def run_suite(name: str, only: str) -> list[Figure]:
    """Run one suite in a fresh process: a suite that starts a service in-process (which tunes the
    garbage collector, among other things) must not change the conditions of the suites after it."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--suite", name, "--only", only], stdout=subprocess.PIPE, text=True
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith(SUITE_RESULT)]
    if proc.returncode != 0 or not lines:
        sys.stdout.write(proc.stdout)
        raise SystemExit(f"benchmark suite {name} failed (exit {proc.returncode})")
    return [Figure(**f) for f in json.loads(lines[-1][len(SUITE_RESULT) :])]


if __name__ == "__main__":
    main()
