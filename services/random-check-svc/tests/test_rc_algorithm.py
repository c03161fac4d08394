"""The draw algorithm on its own: NIST vector, statistics over repeated draws, avoidance, balance, determinism."""

from __future__ import annotations

import itertools
import random
import uuid
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from random_check_svc.draws import algorithm
from random_check_svc.draws.drbg import DrbgStream, HmacDrbg

RATIOS = {"A": "0", "B": "0.05", "C": "0.25", "D": "0.65"}
SIZES = {"A": 200, "B": 600, "C": 240, "D": 100}
REPEATS = 300
ALPHA = 0.001
# Seeds and populations are fixed, so these statistical tests give the same verdict on every run.
_rng = random.Random(20261201)


def seed_bytes(n: int = 32) -> bytes:
    return _rng.randbytes(n)


def fixed_id() -> str:
    return str(uuid.UUID(bytes=seed_bytes(16)))


def inspectors(n: int, mask: int = 1, load: int = 0) -> tuple[algorithm.Inspector, ...]:
    return tuple(sorted((algorithm.Inspector(fixed_id(), mask, load) for _ in range(n)), key=lambda p: p.id))


def params_for(
    sizes: dict[str, int], ratios: dict[str, str], departments: tuple[algorithm.Department, ...], per_object: int = 2
) -> tuple[algorithm.Params, bytes]:
    strata, ids, kinds = [], [], []
    for key, size in sizes.items():
        raw = np.sort(np.frombuffer(seed_bytes(16 * size), dtype="V16"))
        ids.append(raw.tobytes())
        kinds.append(bytes(size))
        strata.append(algorithm.Stratum(key, ratios[key], size))
    params = algorithm.Params(
        draw_id=fixed_id(),
        plan_id=fixed_id(),
        check_date="2026-12-01",
        per_object=per_object,
        strata=tuple(strata),
        kinds=("legal_person",),
        departments=departments,
    )
    return params, algorithm.Population(ids, kinds).encode()


def one_department(n_inspectors: int = 6) -> tuple[algorithm.Department, ...]:
    return (algorithm.Department(fixed_id(), (algorithm.Item("34160000000001", ()),), inspectors(n_inspectors)),)


def test_drbg_matches_the_nist_cavp_vector() -> None:
    # HMAC_DRBG.rsp, [SHA-256], no prediction resistance, no reseed, COUNT = 0
    drbg = HmacDrbg(
        bytes.fromhex("ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488"),
        bytes.fromhex("659ba96c601dc69fc902940805ec0ca8"),
    )
    drbg.generate(128)
    assert drbg.generate(128).hex() == (
        "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2a"
        "ba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668961df86803482cb37ed6d5c0bb8d"
        "50cf1f50d476aa0458bdaba806f48be9dcb8"
    )


def test_stream_values_are_uniform_below_any_bound() -> None:
    stream = DrbgStream(HmacDrbg(seed_bytes()))
    m, n = 7, 70_000
    counts = Counter(stream.below(m) for _ in range(n))
    assert stats.chisquare([counts[i] for i in range(m)]).pvalue > ALPHA
    first = DrbgStream(HmacDrbg(b"\x01" * 32))
    second = DrbgStream(HmacDrbg(b"\x01" * 32))
    assert [first.u64() for _ in range(3)] + first.u64_array(5).tolist() == [second.u64() for _ in range(8)]


def test_class_ratios_hold_over_repeated_draws() -> None:
    """Chi-square over 300 draws: each class gets its ratio, and within a class every object is equally likely."""
    params, population = params_for(SIZES, RATIOS, one_department())
    decoded = algorithm.Population.decode(population, params.strata)
    in_hash = algorithm.inputs_hash(params, population)
    drawn_per_class: Counter[str] = Counter()
    per_object = {s.key: Counter[bytes]() for s in params.strata}
    for _ in range(REPEATS):
        for pick in algorithm.sample(seed_bytes(), params, decoded, in_hash):
            key = params.strata[pick.stratum].key
            drawn_per_class[key] += 1
            per_object[key][pick.object_id] += 1

    # 1. Drawn vs not drawn per class, against the ratios (a goodness-of-fit over the 2 x classes table).
    observed, expected = [], []
    for s in params.strata:
        q = algorithm.quota(s.ratio, s.size) / s.size
        total = REPEATS * s.size
        observed += [drawn_per_class[s.key], total - drawn_per_class[s.key]]
        expected += [q * total, (1 - q) * total]
    mask = [e > 0 for e in expected]
    fit = stats.chisquare(
        [o for o, m in zip(observed, mask, strict=True) if m], [e for e, m in zip(expected, mask, strict=True) if m]
    )
    assert fit.pvalue > ALPHA, fit
    assert drawn_per_class["A"] == 0  # class A: no proactive check without a lead

    # 2. Within each drawn class, every object's count over the draws is Binomial(REPEATS, q).
    for s in params.strata:
        n = algorithm.quota(s.ratio, s.size)
        if not n or n == s.size:
            continue
        q = n / s.size
        ids = decoded.ids[params.strata.index(s)]
        counts = np.array([per_object[s.key][ids[i : i + 16]] for i in range(0, len(ids), 16)], dtype=float)
        statistic = float(((counts - REPEATS * q) ** 2).sum() / (REPEATS * q * (1 - q)))
        p_value = float(stats.chi2.sf(statistic, s.size - 1))
        assert ALPHA < p_value, (s.key, statistic, p_value)
        assert p_value < 1 - ALPHA, (s.key, statistic, p_value)  # too even would not be random either


def test_inspector_pairs_are_uniform_over_repeated_draws() -> None:
    departments = one_department(5)
    params, population = params_for({"D": 20}, {"D": "1"}, departments)
    decoded = algorithm.Population.decode(population, params.strata)
    in_hash = algorithm.inputs_hash(params, population)
    empty = algorithm.sha256_hex(b"")
    pairs: Counter[tuple[int, int]] = Counter()
    for _ in range(REPEATS):
        seed = seed_bytes()
        picks = algorithm.sample(seed, params, decoded, in_hash)
        assignment = algorithm.assign(seed, params, picks, in_hash, empty, set())
        loads = np.bincount(assignment.inspectors.ravel(), minlength=5)
        assert loads.max() - loads.min() <= 1  # balanced in every draw
        for row in assignment.inspectors.tolist():
            pairs[(min(row), max(row))] += 1
    observed = [pairs[p] for p in itertools.combinations(range(5), 2)]
    assert sum(observed) == REPEATS * 20
    assert stats.chisquare(observed).pvalue > ALPHA


@pytest.mark.parametrize("run", range(20))
def test_nobody_is_ever_drawn_against_an_avoidance_rule(run: int) -> None:
    rng = random.Random(run)
    departments = (
        algorithm.Department(fixed_id(), (algorithm.Item("34160000000001", ()),), inspectors(rng.randint(2, 6))),
        algorithm.Department(fixed_id(), (algorithm.Item("34160000000002", ()),), inspectors(rng.randint(3, 8))),
    )
    params, population = params_for({"C": 60}, {"C": "1"}, departments, per_object=2)
    decoded = algorithm.Population.decode(population, params.strata)
    ids = [decoded.ids[0][i : i + 16] for i in range(0, len(decoded.ids[0]), 16)]
    people = [bytes.fromhex(p.id.replace("-", "")) for d in departments for p in d.inspectors]
    avoid = {(rng.choice(ids), rng.choice(people)) for _ in range(rng.randint(0, 120))}
    blob = algorithm.encode_avoidance(avoid)
    result = algorithm.run(seed_bytes(), params, population, blob)
    for task_index, visit in enumerate(result.assignment.visit.tolist()):
        object_id = result.picks[visit].object_id
        dept = departments[int(result.assignment.department[task_index])]
        chosen = [i for i in result.assignment.inspectors[task_index].tolist() if i >= 0]
        assert len(set(chosen)) == len(chosen)
        for i in chosen:
            assert (object_id, bytes.fromhex(dept.inspectors[i].id.replace("-", ""))) not in avoid
        allowed = sum(1 for p in dept.inspectors if (object_id, bytes.fromhex(p.id.replace("-", ""))) not in avoid)
        assert len(chosen) == min(2, allowed)  # understaffed only when avoidance leaves too few


def test_existing_workloads_are_levelled_first() -> None:
    busy = tuple(sorted((*inspectors(2, load=10), *inspectors(3, load=0)), key=lambda p: p.id))
    departments = (algorithm.Department(fixed_id(), (algorithm.Item("34160000000001", ()),), busy),)
    params, population = params_for({"D": 12}, {"D": "1"}, departments)
    result = algorithm.run(seed_bytes(), params, population, b"")
    new = np.bincount(result.assignment.inspectors.ravel(), minlength=5)
    final = new + np.array([p.load for p in busy])
    assert final.max() - final.min() <= 1 or all(new[i] == 0 for i, p in enumerate(busy) if p.load == 10)
    assert sum(new[i] for i, p in enumerate(busy) if p.load == 10) == 0  # 24 slots fill the idle three to 8


def test_the_same_seed_and_inputs_give_the_same_bytes_and_another_seed_does_not() -> None:
    params, population = params_for(SIZES, RATIOS, one_department())
    seed = seed_bytes()
    first = algorithm.run(seed, params, population, b"")
    again = algorithm.run(seed, algorithm.Params.from_json(params.as_json()), population, b"")
    assert first.outputs == again.outputs
    assert first.outputs_hash == algorithm.sha256_hex(again.outputs)
    assert algorithm.run(seed_bytes(), params, population, b"").outputs != first.outputs
    visits, tasks = algorithm.decode_outputs(first.outputs)
    assert len(visits) == len(first.picks)
    assert len(tasks) == len(first.assignment)


def test_quotas_are_exact_decimals() -> None:
    assert algorithm.quota("0.05", 1000) == 50  # not 51, as 0.05 * 1000 in floating point would round up
    assert algorithm.quota("0.05", 1001) == 51
    assert algorithm.quota("0", 10) == 0
    assert algorithm.quota("1", 7) == 7
    assert algorithm.quota("0.333", 3) == 1
