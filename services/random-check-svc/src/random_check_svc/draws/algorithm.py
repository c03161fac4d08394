"""The draw algorithm `rc-draw/1`: pure, deterministic given the seed and the recorded inputs.

Anyone holding the revealed seed and the ledger's inputs can re-run it (this module has no database
or network access) and must get byte-identical outputs.

Inputs
  params (canonical JSON): check date, inspectors per object, strata (key, ratio as a decimal string,
  size), object kinds, and per department its items (code, object kinds they apply to) and its eligible
  inspectors (id, bit mask of the department's items they are qualified for, open tasks at draw time).
  population blob: for each stratum in params order, its object ids (16 bytes each, ascending) then
  one byte per object: the index of its kind in params `kinds`.
  avoidance blob: sorted 32-byte pairs (object id, inspector id) that must never be drawn together
  (declared conflicts; the inspectors of the object's previous check).

Seed: the 32 random bytes whose SHA-256 was published before the draw; with public entropy given at
draw time, the effective seed is HMAC-SHA256(seed, public entropy).

1. Objects. inputs_hash = SHA-256(canonical params || "\\n" || SHA-256 hex of the population blob).
   A DRBG (drbg.py) is instantiated with (seed, inputs_hash, "rc-draw/1:sample"). For each stratum in
   order, quota = ceil(ratio * size) (exact decimal arithmetic); a partial Fisher-Yates shuffle over the
   stratum's positions picks `quota` objects: for i in 0..quota-1, j = i + below(size - i), swap i and j,
   take position i. Visits are the picks in that order (stratum by stratum).
2. Departments per visit (joint merging, 进一次门). A department takes part in a visit when at least one of
   its items applies to the object's kind (an item without kinds applies to all); the visit's task for
   that department covers exactly those items.
3. Inspectors. A second DRBG (seed, inputs_hash || avoidance_hash, "rc-draw/1:assign"). Tasks are
   grouped by (department, items mask), groups in ascending order. A group's pool is the department's
   inspectors qualified for every item of the mask (at least `per_object` are needed; with fewer, all
   of them go and the tasks are understaffed). Workload balance: with loads = open tasks at draw time
   plus tasks drawn in earlier groups, each inspector gets clamp(level - load, 0, tasks) new tasks for
   the highest level the group's tasks * per_object slots can fill; leftover slots go one each to the
   inspectors at that level in (load, DRBG tie) order. Randomness: the slots (each inspector repeated
   by its count) are shuffled by sorting on one DRBG u64 each (stable) and cut into consecutive
   `per_object` slots per task (tasks in visit order). Repair: a task holding an inspector twice or an
   inspector it must avoid swaps the bad slot with the first slot of a later task (wrapping round) for
   which both tasks stay valid; failing that, the slot goes to the allowed inspector with the fewest
   tasks of the group so far (then by rank in the (load, tie) order); failing that, it is dropped and
   the task is understaffed.

Outputs blob: "RCO1", u32 visits, u32 tasks, u8 per_object; per visit: object id (16 bytes), u16
stratum index; per task (visit order, then department order): u32 visit index, u8 department index,
per_object i32 inspector indexes into that department's list (-1 where none could be drawn).
outputs_hash = SHA-256 of the blob.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from random_check_svc.draws.drbg import DrbgStream, HmacDrbg

ALGORITHM = "rc-draw/1"
POPULATION_MAGIC = b"RCP1"
OUTPUTS_MAGIC = b"RCO1"
UNKNOWN_KIND = "unknown"


def canonical_json(value: Any) -> bytes:
    """The one serialisation hashed everywhere: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def effective_seed(seed: bytes, public_entropy: str | None) -> bytes:
    """The seed the DRBGs use: the committed seed, mixed with public entropy when some was given."""
    if not public_entropy:
        return seed
    return hmac.digest(seed, public_entropy.encode(), "sha256")


def quota(ratio: str, size: int) -> int:
    """How many of `size` objects a stratum with this ratio draws: ceil(ratio * size), exactly."""
    return min(size, math.ceil(Decimal(ratio) * size))


@dataclass(frozen=True)
class Inspector:
    id: str
    mask: int  # bit i: qualified for the department's item i
    load: int  # open tasks at draw time


@dataclass(frozen=True)
class Item:
    code: str
    object_kinds: tuple[str, ...]  # empty: applies to every kind

    def applies_to(self, kind: str) -> bool:
        return not self.object_kinds or kind in self.object_kinds


@dataclass(frozen=True)
class Department:
    id: str
    items: tuple[Item, ...]
    inspectors: tuple[Inspector, ...]  # sorted by id

    def required_mask(self, kind: str) -> int:
        mask = 0
        for i, item in enumerate(self.items):
            if item.applies_to(kind):
                mask |= 1 << i
        return mask


@dataclass(frozen=True)
class Stratum:
    key: str
    ratio: str  # decimal string, e.g. "0.05"
    size: int


@dataclass(frozen=True)
class Params:
    draw_id: str
    plan_id: str
    check_date: str
    per_object: int
    strata: tuple[Stratum, ...]
    kinds: tuple[str, ...]
    departments: tuple[Department, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "algorithm": ALGORITHM,
            "draw_id": self.draw_id,
            "plan_id": self.plan_id,
            "check_date": self.check_date,
            "per_object": self.per_object,
            "strata": [{"key": s.key, "ratio": s.ratio, "size": s.size} for s in self.strata],
            "kinds": list(self.kinds),
            "departments": [
                {
                    "id": d.id,
                    "items": [{"code": i.code, "object_kinds": list(i.object_kinds)} for i in d.items],
                    "inspectors": [{"id": p.id, "mask": p.mask, "load": p.load} for p in d.inspectors],
                }
                for d in self.departments
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Params:
        if data.get("algorithm") != ALGORITHM:
            raise ValueError(f"unsupported algorithm {data.get('algorithm')!r}")
        return cls(
            draw_id=data["draw_id"],
            plan_id=data["plan_id"],
            check_date=data["check_date"],
            per_object=int(data["per_object"]),
            strata=tuple(Stratum(s["key"], s["ratio"], int(s["size"])) for s in data["strata"]),
            kinds=tuple(data["kinds"]),
            departments=tuple(
                Department(
                    d["id"],
                    tuple(Item(i["code"], tuple(i["object_kinds"])) for i in d["items"]),
                    tuple(Inspector(p["id"], int(p["mask"]), int(p["load"])) for p in d["inspectors"]),
                )
                for d in data["departments"]
            ),
        )


@dataclass
class Population:
    """Per stratum: object ids (n x 16 bytes, ascending) and kind indexes (n bytes)."""

    ids: list[bytes]
    kinds: list[bytes]

    def encode(self) -> bytes:
        parts = [POPULATION_MAGIC]
        for ids, kinds in zip(self.ids, self.kinds, strict=True):
            parts.append(ids)
            parts.append(kinds)
        return b"".join(parts)

    @classmethod
    def decode(cls, blob: bytes, strata: tuple[Stratum, ...]) -> Population:
        if blob[:4] != POPULATION_MAGIC:
            raise ValueError("not a population blob")
        pos, ids, kinds = 4, [], []
        for s in strata:
            ids.append(blob[pos : pos + 16 * s.size])
            pos += 16 * s.size
            kinds.append(blob[pos : pos + s.size])
            pos += s.size
        if pos != len(blob):
            raise ValueError("population blob does not match the strata sizes")
        return cls(ids, kinds)


def inputs_hash(params: Params, population_blob: bytes) -> str:
    return sha256_hex(canonical_json(params.as_json()) + b"\n" + sha256_hex(population_blob).encode())


def encode_avoidance(pairs: set[tuple[bytes, bytes]]) -> bytes:
    return b"".join(a + b for a, b in sorted(pairs))


def decode_avoidance(blob: bytes) -> set[tuple[bytes, bytes]]:
    if len(blob) % 32:
        raise ValueError("avoidance blob is not a list of 32-byte pairs")
    return {(blob[i : i + 16], blob[i + 16 : i + 32]) for i in range(0, len(blob), 32)}


@dataclass
class Pick:
    """One drawn object: its stratum, id and kind."""

    stratum: int
    object_id: bytes
    kind: str
    position: int  # index of the object in its stratum (ascending ids)


@dataclass
class Assignment:
    """Department tasks in visit order (then department order); inspectors padded with -1."""

    visit: np.ndarray  # int64 (tasks,)
    department: np.ndarray  # int64 (tasks,)
    items_mask: np.ndarray  # int64 (tasks,)
    inspectors: np.ndarray  # int64 (tasks, per_object), -1 where a pool ran out

    def __len__(self) -> int:
        return len(self.visit)


def sample(seed: bytes, params: Params, population: Population, in_hash: str) -> list[Pick]:
    """Step 1: the stratified draw of objects (partial Fisher-Yates per stratum)."""
    stream = DrbgStream(HmacDrbg(seed, bytes.fromhex(in_hash), f"{ALGORITHM}:sample".encode()))
    picks: list[Pick] = []
    for index, stratum in enumerate(params.strata):
        n = quota(stratum.ratio, stratum.size)
        if not n:
            continue
        ids, kinds = population.ids[index], population.kinds[index]
        size = stratum.size
        swapped: dict[int, int] = {}
        chosen: list[int] = []
        for i in range(n):
            j = i + stream.below(size - i)
            at_j = swapped.get(j, j)
            swapped[j] = swapped.get(i, i)
            chosen.append(at_j)
        positions = np.asarray(chosen, dtype=np.int64)
        id_view = np.frombuffer(ids, dtype="V16")[positions]
        kind_view = np.frombuffer(kinds, dtype=np.uint8)[positions]
        names = params.kinds
        raw = id_view.tobytes()
        picks.extend(
            Pick(index, raw[16 * i : 16 * i + 16], names[k], at)
            for i, (k, at) in enumerate(zip(kind_view.tolist(), chosen, strict=True))
        )
    return picks


def waterfill(loads: np.ndarray, picks: int, cap: int, order: np.ndarray) -> np.ndarray:
    """New tasks per inspector so that final loads are as even as possible (each at most `cap`).

    targets_i = clamp(level - loads_i, 0, cap) for the highest level that fits in `picks`; the few
    picks left over go one each to the inspectors that reached the level, in `order`.
    """
    low, high = int(loads.min()), int(loads.max()) + cap
    while low < high:  # the highest level whose fill does not exceed `picks`
        mid = (low + high + 1) // 2
        if int(np.clip(mid - loads, 0, cap).sum()) <= picks:
            low = mid
        else:
            high = mid - 1
    targets = np.clip(low - loads, 0, cap)
    left = picks - int(targets.sum())
    if left:
        eligible = order[(loads[order] <= low) & (targets[order] < cap)]
        targets[eligible[:left]] += 1
    return targets


def assign(
    seed: bytes, params: Params, picks: list[Pick], in_hash: str, avoid_hash: str, avoid: set[tuple[bytes, bytes]]
) -> Assignment:
    """Steps 2 and 3: departments per visit (joint merging) and inspectors per department task."""
    stream = DrbgStream(
        HmacDrbg(seed, bytes.fromhex(in_hash) + bytes.fromhex(avoid_hash), f"{ALGORITHM}:assign".encode())
    )
    k_max = params.per_object
    kind_index = {kind: i for i, kind in enumerate(params.kinds)}
    pick_kinds = np.array([kind_index[p.kind] for p in picks], dtype=np.int64)
    loads = [np.array([p.load for p in d.inspectors], dtype=np.int64) for d in params.departments]
    ids = [[bytes.fromhex(p.id.replace("-", "")) for p in d.inspectors] for d in params.departments]
    avoided_objects = {object_id for object_id, _ in avoid}
    parts: list[tuple[np.ndarray, int, int, np.ndarray]] = []
    groups = sorted(
        {(dept, d.required_mask(kind)) for dept, d in enumerate(params.departments) for kind in params.kinds}
    )
    for dept, mask in groups:
        if not mask:
            continue
        kinds_here = [kind_index[k] for k in params.kinds if params.departments[dept].required_mask(k) == mask]
        members_of = np.flatnonzero(np.isin(pick_kinds, kinds_here))
        tasks = len(members_of)
        if not tasks:
            continue
        inspectors = params.departments[dept].inspectors
        members = np.array([i for i, p in enumerate(inspectors) if p.mask & mask == mask], dtype=np.int64)
        k = min(k_max, len(members))
        chosen = np.full((tasks, k_max), -1, dtype=np.int64)
        if k:
            member_loads = loads[dept][members]
            order = np.lexsort((stream.u64_array(len(members)), member_loads))
            targets = waterfill(member_loads, tasks * k, tasks, order)
            flat = np.repeat(np.arange(len(members)), targets)
            slots: np.ndarray = flat[np.argsort(stream.u64_array(len(flat)), kind="stable")].reshape(tasks, k)
            ordered = np.sort(slots, axis=1)
            bad = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1) if k > 1 else np.zeros(tasks, dtype=bool)
            objects: list[bytes] = []
            if avoided_objects:
                objects = [picks[v].object_id for v in members_of.tolist()]
                bad |= np.array([o in avoided_objects for o in objects], dtype=bool)
            if bad.any():
                objects = objects or [picks[v].object_id for v in members_of.tolist()]
                rows: list[list[int]] = slots.tolist()
                member_ids = [ids[dept][i] for i in members.tolist()]
                rank = np.empty(len(members), dtype=np.int64)
                rank[order] = np.arange(len(members))
                _repair(rows, np.flatnonzero(bad).tolist(), objects, member_ids, avoid, avoided_objects, rank.tolist())
                slots = np.array([row + [-1] * (k - len(row)) for row in rows], dtype=np.int64).reshape(tasks, k)
            valid = slots >= 0
            chosen[:, :k] = np.where(valid, members[np.where(valid, slots, 0)], -1)
            loads[dept][members] += np.bincount(slots[valid], minlength=len(members))
        parts.append((members_of, dept, mask, chosen))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Assignment(empty, empty, empty, np.zeros((0, k_max), dtype=np.int64))
    visit = np.concatenate([p[0] for p in parts])
    department = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int64) for p in parts])
    items_mask = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts])
    chosen_all = np.concatenate([p[3] for p in parts])
    order = np.lexsort((department, visit))
    return Assignment(visit[order], department[order], items_mask[order], chosen_all[order])


def _repair(
    rows: list[list[int]],
    bad: list[int],
    objects: list[bytes],
    member_ids: list[bytes],
    avoid: set[tuple[bytes, bytes]],
    avoided_objects: set[bytes],
    rank: list[int],
) -> None:
    """Make every task valid: no inspector twice in a task, nobody drawn against an avoidance rule.

    Bad tasks are taken in order. A bad slot is swapped with the first slot of a later task (wrapping
    round) for which the swap leaves both tasks valid; failing that, it goes to the allowed inspector
    with the fewest tasks of the group so far (then by rank); failing that, it is dropped (understaffed).
    """

    def allowed(member: int, task: int, skip: int) -> bool:
        row = rows[task]
        if any(member == other for pos, other in enumerate(row) if pos != skip):
            return False
        return not (objects[task] in avoided_objects and (objects[task], member_ids[member]) in avoid)

    counts = [0] * len(member_ids)
    for row in rows:
        for member in row:
            counts[member] += 1
    by_rank = sorted(range(len(member_ids)), key=rank.__getitem__)
    n = len(rows)
    for t in bad:
        row = rows[t]
        s = 0
        while s < len(row):
            if allowed(row[s], t, s):
                s += 1
                continue
            fixed = False
            for step in range(1, n):
                u = (t + step) % n
                other = rows[u]
                for s2, candidate in enumerate(other):
                    if allowed(candidate, t, s) and allowed(row[s], u, s2):
                        row[s], other[s2] = candidate, row[s]
                        fixed = True
                        break
                if fixed:
                    break
            if not fixed:
                spare = [m for m in by_rank if allowed(m, t, s)]
                if spare:
                    best = min(spare, key=lambda m: (counts[m], rank[m]))
                    counts[row[s]] -= 1
                    counts[best] += 1
                    row[s] = best
                    fixed = True
            if fixed:
                s += 1
            else:
                counts[row[s]] -= 1
                del row[s]


_VISIT = np.dtype([("object_id", "V16"), ("stratum", ">u2")])


def _task_dtype(per_object: int) -> np.dtype:
    return np.dtype([("visit", ">u4"), ("department", "u1"), ("inspectors", ">i4", (per_object,))])


def encode_outputs(picks: list[Pick], assignment: Assignment, per_object: int) -> bytes:
    """Outputs blob: header, fixed-size visit records, fixed-size task records (-1 pads missing inspectors)."""
    visits = np.zeros(len(picks), dtype=_VISIT)
    visits["object_id"] = np.frombuffer(b"".join(p.object_id for p in picks), dtype="V16")
    visits["stratum"] = [p.stratum for p in picks]
    tasks = np.zeros(len(assignment), dtype=_task_dtype(per_object))
    tasks["visit"] = assignment.visit
    tasks["department"] = assignment.department
    tasks["inspectors"] = assignment.inspectors
    header = OUTPUTS_MAGIC + struct.pack(">IIB", len(picks), len(assignment), per_object)
    return header + visits.tobytes() + tasks.tobytes()


def decode_outputs(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The visit and task records of an outputs blob."""
    if blob[:4] != OUTPUTS_MAGIC:
        raise ValueError("not an outputs blob")
    n_visits, n_tasks, per_object = struct.unpack_from(">IIB", blob, 4)
    offset = 13
    visits = np.frombuffer(blob, dtype=_VISIT, count=n_visits, offset=offset)
    offset += n_visits * _VISIT.itemsize
    tasks = np.frombuffer(blob, dtype=_task_dtype(per_object), count=n_tasks, offset=offset)
    return visits, tasks


@dataclass
class DrawResult:
    inputs_hash: str
    avoidance_hash: str
    outputs: bytes
    outputs_hash: str
    picks: list[Pick]
    assignment: Assignment


def run(
    seed: bytes,
    params: Params,
    population_blob: bytes,
    avoidance_blob: bytes,
    *,
    public_entropy: str | None = None,
) -> DrawResult:
    """Re-run a whole draw from its seed and recorded inputs (what verification does)."""
    effective = effective_seed(seed, public_entropy)
    in_hash = inputs_hash(params, population_blob)
    picks = sample(effective, params, Population.decode(population_blob, params.strata), in_hash)
    avoid_hash = sha256_hex(avoidance_blob)
    assignment = assign(effective, params, picks, in_hash, avoid_hash, decode_avoidance(avoidance_blob))
    outputs = encode_outputs(picks, assignment, params.per_object)
    return DrawResult(in_hash, avoid_hash, outputs, sha256_hex(outputs), picks, assignment)
