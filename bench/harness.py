"""Figures, the results table and `bench-results/latest.jsonl`."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

RESULTS = Path("bench-results")


@dataclass
class Figure:
    """One measured figure; `ratio` is value/baseline, `pass` checks it against the target."""

    name: str
    value: float
    unit: str
    baseline: float | None
    target: str
    passed: bool
    ratio: float | None = None
    notes: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["pass"] = data.pop("passed")
        data["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        data["machine"] = f"{platform.machine()} {platform.python_version()}"
        return data


def ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 3) if baseline else 0.0


def check(value: float, op: Literal[">=", "<="], bound: float) -> bool:
    return value >= bound if op == ">=" else value <= bound


def report(figures: list[Figure]) -> None:
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "latest.jsonl", "w", encoding="utf-8") as fh:
        for f in figures:
            fh.write(json.dumps(f.as_json(), ensure_ascii=False) + "\n")
    header = f"{'figure':<42} {'value':>12} {'unit':<10} {'baseline':>12} {'ratio':>7}  {'target':<28} pass"
    print(header)
    print("-" * len(header))
    for f in figures:
        base = f"{f.baseline:,.1f}" if f.baseline is not None else "-"
        rat = f"{f.ratio:.2f}" if f.ratio is not None else "-"
        print(
            f"{f.name:<42} {f.value:>12,.1f} {f.unit:<10} {base:>12} {rat:>7}  {f.target:<28} {'yes' if f.passed else 'NO'}"
        )
    print(f"\nwritten to {RESULTS / 'latest.jsonl'}")
