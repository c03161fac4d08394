"""Training and held-out validation of scikit-learn risk models (blocking: run in a thread)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from risk_svc.riskmodels.models import EstimatorKind

#: A version is promoted only when its held-out figures reach these.
MIN_ROC_AUC = 0.75
MIN_PRECISION = 0.5
TEST_SHARE = 0.25


@dataclass
class Trained:
    artifact: bytes
    metrics: dict[str, Any]


def build(kind: EstimatorKind, seed: int) -> Any:
    match kind:
        case EstimatorKind.LOGISTIC_REGRESSION:
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, C=1.0))
        case EstimatorKind.GRADIENT_BOOSTING:
            return GradientBoostingClassifier(n_estimators=80, max_depth=2, learning_rate=0.1, random_state=seed)
        case EstimatorKind.NONE:
            raise ValueError("a rule-only version has no estimator to train")


def train(
    kind: EstimatorKind,
    x: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    *,
    seed: int,
    threshold: float,
    weights: np.ndarray[Any, Any] | None = None,
) -> Trained:
    """Fit on a stratified 75% split and report precision and recall at `threshold` and ROC AUC on the rest."""
    if len(np.unique(y)) < 2:
        raise ValueError("training labels hold one class only")
    w = weights if weights is not None else np.ones(len(y))
    x_tr, x_te, y_tr, y_te, w_tr, _ = train_test_split(x, y, w, test_size=TEST_SHARE, random_state=seed, stratify=y)
    kind = EstimatorKind(kind)
    estimator = build(kind, seed)
    if kind is EstimatorKind.LOGISTIC_REGRESSION:
        estimator.fit(x_tr, y_tr, logisticregression__sample_weight=w_tr)
    else:
        estimator.fit(x_tr, y_tr, sample_weight=w_tr)
    proba = estimator.predict_proba(x_te)[:, 1]
    predicted = proba >= threshold
    metrics = {
        "precision": round(float(precision_score(y_te, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(y_te, predicted, zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(y_te, proba)), 4),
        "threshold": threshold,
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "positive_share": round(float(np.mean(y)), 4),
    }
    return Trained(pickle.dumps(estimator, protocol=5), metrics)


def validation_problems(metrics: dict[str, Any]) -> list[str]:
    """Why held-out figures are not good enough to serve (empty when they are)."""
    problems = []
    if metrics.get("roc_auc", 0.0) < MIN_ROC_AUC:
        problems.append(f"roc_auc {metrics.get('roc_auc')} < {MIN_ROC_AUC}")
    if metrics.get("precision", 0.0) < MIN_PRECISION:
        problems.append(f"precision {metrics.get('precision')} < {MIN_PRECISION}")
    return problems


def load(artifact: bytes) -> Any:
    """An estimator this service trained and stored itself."""
    return pickle.loads(artifact)
