"""Training an outcome model on history, validating it on a held-out split, and serving the active one.

The model learns from what happened after a cut-off date: features as of `today - horizon` (only
inputs known then) and, as the label, whether the object met an adverse outcome since (a penalty,
a failed inspection or enforcement measure, an abnormal-operation or serious-violation listing).
Its score, 100 x (1 - probability), is blended into the rule score with the scheme's `model_weight`.
"""

from __future__ import annotations

import pickle
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit_svc.learning.models import EstimatorKind, ModelStatus, OutcomeModel

#: The features every outcome model reads (the default windows of the index system).
MODEL_FEATURES: tuple[str, ...] = (
    "basic_info",
    "compliance@1095",
    "penalties@1095",
    "penalty_amount@1095",
    "enforcement_measures@1095",
    "inspections_failed@730",
    "inspections_passed@730",
    "complaints@365",
    "reports@365",
    "warnings_open",
    "warning_level",
    "abnormal_list",
    "serious_violation_list",
    "black_list",
    "red_list",
    "commendations@1095",
    "third_party_adverse@365",
)
TEST_SHARE = 0.25
THRESHOLD = 0.5

OUTCOME_SQL = """
SELECT DISTINCT object_id FROM credit_records
WHERE NOT automatic AND record_type IN ('penalty', 'abnormal_operation', 'serious_violation')
  AND decided_on > :cut AND decided_on <= :today
UNION
SELECT DISTINCT object_id FROM credit_signals
WHERE object_id IS NOT NULL AND kind IN ('inspection_failed', 'enforcement_measure')
  AND occurred_on > :cut AND occurred_on <= :today
"""


@dataclass
class ActiveModel:
    id: uuid.UUID
    version: int
    refs: list[str]
    estimator: Any

    def model_score(self, frame: Any) -> np.ndarray[Any, Any]:
        """100 x (1 - probability of an adverse outcome) for each row of a feature frame."""
        columns = [frame.refs.index(r) for r in self.refs]
        if len(frame) == 0:
            return np.empty(0)
        p = self.estimator.predict_proba(np.log1p(np.maximum(frame.x[:, columns], 0)))[:, 1]
        return np.asarray(100.0 * (1.0 - p))


_loaded: dict[uuid.UUID, ActiveModel] = {}


async def load_active_model(session: AsyncSession) -> ActiveModel | None:
    row = (
        await session.execute(
            select(OutcomeModel.id, OutcomeModel.version, OutcomeModel.features).where(
                OutcomeModel.status == ModelStatus.ACTIVE
            )
        )
    ).first()
    if row is None:
        return None
    cached = _loaded.get(row.id)
    if cached is None:
        artifact = await session.scalar(select(OutcomeModel.artifact).where(OutcomeModel.id == row.id))
        assert artifact is not None
        # Our own artifact, written by `fit` below into our own database.
        cached = ActiveModel(row.id, row.version, list(row.features), pickle.loads(artifact))
        _loaded[row.id] = cached
    return cached


def build(kind: EstimatorKind, seed: int) -> Any:
    match kind:
        case EstimatorKind.LOGISTIC_REGRESSION:
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced"))
        case EstimatorKind.GRADIENT_BOOSTING:
            return HistGradientBoostingClassifier(
                max_iter=150, learning_rate=0.1, max_leaf_nodes=15, class_weight="balanced", random_state=seed
            )


@dataclass
class Fitted:
    artifact: bytes
    metrics: dict[str, Any]


def fit(kind: EstimatorKind, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], *, seed: int) -> Fitted:
    """Fit on a stratified split and report precision, recall (at 0.5), ROC AUC and average precision on the rest."""
    positives = int(y.sum())
    if positives < 10 or len(y) - positives < 10:
        raise ValueError(f"too few outcomes to train and validate: {positives} positive of {len(y)}")
    features = np.log1p(np.maximum(x, 0))
    x_tr, x_te, y_tr, y_te = train_test_split(features, y, test_size=TEST_SHARE, random_state=seed, stratify=y)
    estimator = build(kind, seed)
    estimator.fit(x_tr, y_tr)
    proba = estimator.predict_proba(x_te)[:, 1]
    predicted = proba >= THRESHOLD
    metrics = {
        "precision": round(float(precision_score(y_te, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(y_te, predicted, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(y_te, proba)), 4),
        "average_precision": round(float(average_precision_score(y_te, proba)), 4),
        "threshold": THRESHOLD,
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "positive_share": round(float(y.mean()), 4),
        "test_split": TEST_SHARE,
    }
    return Fitted(pickle.dumps(estimator, protocol=5), metrics)


def sample(y: np.ndarray[Any, Any], max_objects: int, seed: int) -> np.ndarray[Any, Any]:
    """Row indexes to train on: everything, or a random sample of `max_objects` rows."""
    if len(y) <= max_objects:
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(len(y), size=max_objects, replace=False))


async def next_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(OutcomeModel.version), 0))) or 0) + 1


def cut_off(as_of: date, horizon_days: int) -> date:
    return as_of - timedelta(days=horizon_days)
