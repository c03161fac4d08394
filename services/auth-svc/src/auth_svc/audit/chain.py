"""The hash chain of the audit log: each record's hash covers its content and the previous record's hash.

hash = sha256(canonical JSON of [seq, time, actor, actor_roles, client_id, action, target_type,
target_id, region_code, department_id, details, ip, request_id, prev_hash]); the first record's
prev_hash is 64 zeros. Canonical JSON: sorted keys, no spaces, UTF-8, times as UTC ISO 8601 with
microseconds. Changing, removing or reordering any row breaks the chain from that row on.

Nothing here is specific to auth-svc: another service can keep its own chained log with the same
functions (and its own table shaped like auth_svc.audit.models.AuditRecord).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
FIELDS = (
    "seq",
    "time",
    "actor",
    "actor_roles",
    "client_id",
    "action",
    "target_type",
    "target_id",
    "region_code",
    "department_id",
    "details",
    "ip",
    "request_id",
    "prev_hash",
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def normalise_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details as they will read back from JSONB (plain JSON types), so the hash survives the round trip."""
    result: dict[str, Any] = json.loads(canonical_json(dict(details)))
    return result


def record_hash(record: Mapping[str, Any]) -> str:
    """The hash of a record given as a mapping of FIELDS."""
    content = [record[name] for name in FIELDS]
    content[1] = _default(content[1])
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()
