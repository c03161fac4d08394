"""The scoring engine: indicator rules, weights, class bands and forced classes, vectorised over objects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from credit_svc.grading.indicators import BandsRule, FlagRule, LinearRule, Rule, SchemeDefinition

Array = np.ndarray[Any, Any]


def rule_fraction(rule: Rule, values: Array) -> Array:
    """The fraction of the weight (between -1 and 1) the rule gives each value."""
    match rule:
        case LinearRule():
            return np.clip(values * rule.slope + rule.intercept, rule.low, rule.high)
        case BandsRule():
            mins = np.array([b.min for b in rule.bands])
            fractions = np.array([rule.default, *(b.value for b in rule.bands)])
            return fractions[np.searchsorted(mins, values, side="right")]
        case FlagRule():
            return np.where(values > 0, rule.value, 0.0)


@dataclass(frozen=True)
class CompiledScheme:
    """An active scheme ready to score: ids, labels and the feature refs it reads."""

    id: uuid.UUID
    key: str
    version: int
    region_prefix: str
    definition: SchemeDefinition

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.definition.classes]

    @property
    def refs(self) -> list[str]:
        return [i.ref for i in self.definition.indicators] + [f.ref for f in self.definition.forced]


@dataclass
class Scores:
    """Scores of n objects under one scheme."""

    score: Array
    rule_score: Array
    model_score: Array  # NaN where no model was blended in
    class_rank: Array
    contributions: Array  # (n, indicators)
    feature_values: Array  # (n, indicators)


def score(scheme: CompiledScheme, refs: Sequence[str], x: Array, model_score: Array | None = None) -> Scores:
    """Score the rows of `x` (columns named by `refs`) under a scheme, optionally blending a model score."""
    d = scheme.definition
    n = x.shape[0]
    columns = {ref: i for i, ref in enumerate(refs)}
    values = np.empty((n, len(d.indicators)))
    contributions = np.empty((n, len(d.indicators)))
    for j, indicator in enumerate(d.indicators):
        v = x[:, columns[indicator.ref]]
        values[:, j] = v
        contributions[:, j] = np.round(indicator.weight * rule_fraction(indicator.rule, v), 2)
    rule_score = np.round(np.clip(d.base_score + contributions.sum(axis=1), d.min_score, d.max_score), 2)
    if model_score is not None and d.model_weight > 0:
        final = np.round((1 - d.model_weight) * rule_score + d.model_weight * model_score, 2)
        blended = np.round(model_score, 2)
    else:
        final = rule_score
        blended = np.full(n, np.nan)
    thresholds = np.array([c.min_score for c in d.classes[:-1]])
    rank = (final[:, None] < thresholds[None, :]).sum(axis=1).astype(np.int32)
    labels = scheme.labels
    for forced in d.forced:
        forced_rank = labels.index(forced.label)
        hit = x[:, columns[forced.ref]] >= forced.min_value
        rank = np.where(hit & (rank < forced_rank), forced_rank, rank)
    return Scores(final, rule_score, blended, rank, contributions, values)


def scheme_for_regions(schemes: Sequence[CompiledScheme], regions: Array) -> Array:
    """Index of the scheme each region uses: the active scheme with the longest matching region prefix (-1: none)."""
    chosen = np.full(len(regions), -1, dtype=np.int32)
    best = np.full(len(regions), -1, dtype=np.int32)
    for i, s in enumerate(schemes):
        p = s.region_prefix
        if p:
            scale = 10 ** (6 - len(p))
            match = (regions // scale) == int(p)
        else:
            match = np.ones(len(regions), dtype=bool)
        better = match & (len(p) > best)
        chosen[better] = i
        best[better] = len(p)
    return chosen
