"""Architecture lint (`make lint`): invariants a test run does not show.

- No `.commit()` outside the common runtime: the session dependency owns the transaction.
- No Kafka producer or consumer built outside the runtime: events go through the outbox.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "shared" / "runtime"
CHECKED = [ROOT / "services", ROOT / "gateway" / "src"]
KAFKA_CLASSES = {"AIOKafkaProducer", "AIOKafkaConsumer"}


def violations(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
            found.append(f"{path}:{node.lineno}: commit() outside the runtime (the session dependency commits)")
        if isinstance(node, ast.Name) and node.id in KAFKA_CLASSES:
            found.append(f"{path}:{node.lineno}: {node.id} outside the runtime (stage events with svc_runtime.outbox)")
    return found


def main() -> int:
    problems = []
    for base in CHECKED:
        for path in sorted(base.rglob("*.py")):
            if "tests" in path.parts or RUNTIME in path.parents:
                continue
            problems.extend(violations(path))
    for p in problems:
        print(p)
    print(f"architecture lint: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
