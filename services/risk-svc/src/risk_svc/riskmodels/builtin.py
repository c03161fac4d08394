"""The five models the seeds name (seed 004), with their features, rules and a labelled-history generator.

The generator draws objects the way monitoring sees them: counts are Poisson or negative binomial with
rates that rise with the (hidden) label, severities are Beta, a shared activity factor correlates the
features, and a share of labels is flipped, as real disposals are noisy. Seeds are fixed per model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from risk_svc.riskmodels.models import EstimatorKind
from supervision_schemas.risk import RiskDomain

DEFAULT_BANDS = {"red": 0.9, "orange": 0.75, "yellow": 0.6, "blue": 0.5}

# A complaint hot spot that keeps growing (complaint-svc's `grown`) makes a warning more urgent: the object's
# own, or its industry's or region's when the object itself has been complained about in the last 30 days.
HOTSPOT_ESCALATIONS: list[dict[str, Any]] = [
    {
        "when": {"feature": "complaint_hotspot_level", "op": ">=", "value": 2},
        "levels": 1,
        "reason": "对象投诉热点持续增长",
    },
    {
        "when": {
            "all": [
                {
                    "any": [
                        {"feature": "industry_hotspot_level", "op": ">=", "value": 2},
                        {"feature": "region_hotspot_level", "op": ">=", "value": 2},
                    ]
                },
                {"feature": "complaints_30d", "op": ">=", "value": 1},
            ]
        },
        "levels": 1,
        "reason": "所在行业或地区投诉热点持续增长且对象近30日被投诉",
    },
]


@dataclass(frozen=True)
class Dist:
    """How one feature is drawn: `kind` with its parameter for negatives and for positives."""

    kind: str  # poisson | beta | gamma | money
    negative: float
    positive: float
    scale: float = 1.0


@dataclass(frozen=True)
class BuiltinModel:
    key: str
    title: str
    domain: RiskDomain
    department: str
    estimator: EstimatorKind
    rule: dict[str, Any]
    generators: dict[str, Dist]
    seed: int
    positive_rate: float = 0.3
    label_noise: float = 0.06

    @property
    def features(self) -> list[str]:
        return list(self.generators)


BUILTIN: dict[str, BuiltinModel] = {
    m.key: m
    for m in (
        BuiltinModel(
            key="false_medical_ad",
            title="虚假医疗广告监测",
            domain=RiskDomain.MARKET,
            department="市场监督管理局广告监督管理科",
            estimator=EstimatorKind.LOGISTIC_REGRESSION,
            rule={"feature": "medical_ad_hits_30d", "op": ">=", "value": 1},
            generators={
                "medical_ad_hits_30d": Dist("poisson", 1.2, 4.0),
                "medical_ad_severity_max_30d": Dist("beta", 2.0, 5.0),
                "complaints_medical_90d": Dist("poisson", 0.3, 1.5),
                "penalties_365d": Dist("poisson", 0.1, 0.6),
                "opinion_negative_30d": Dist("poisson", 0.4, 1.6),
            },
            seed=4101,
        ),
        BuiltinModel(
            key="illegal_fundraising",
            title="非法集资风险监测",
            domain=RiskDomain.FINANCE,
            department="地方金融监督管理局",
            estimator=EstimatorKind.GRADIENT_BOOSTING,
            rule={
                "any": [
                    {"feature": "finance_ad_hits_30d", "op": ">=", "value": 1},
                    {"feature": "finance_reports_90d", "op": ">=", "value": 1},
                ]
            },
            generators={
                "finance_ad_hits_30d": Dist("poisson", 0.8, 3.0),
                "promised_return_max_90d": Dist("gamma", 6.0, 18.0, 2.0),
                "finance_reports_90d": Dist("poisson", 0.3, 2.0),
                "opinion_negative_30d": Dist("poisson", 0.5, 2.5),
                "opinion_mentions_30d": Dist("poisson", 3.0, 9.0),
                "penalties_365d": Dist("poisson", 0.1, 0.4),
            },
            seed=4102,
            positive_rate=0.2,
        ),
        BuiltinModel(
            key="illegal_drug_sales",
            title="非法销售药品监测",
            domain=RiskDomain.DRUG,
            department="药品监督管理局",
            estimator=EstimatorKind.LOGISTIC_REGRESSION,
            rule={"feature": "drug_listings_30d", "op": ">=", "value": 1},
            generators={
                "drug_listings_30d": Dist("poisson", 3.0, 6.0),
                "unlicensed_listings_30d": Dist("poisson", 0.2, 2.5),
                "complaints_medical_90d": Dist("poisson", 0.3, 1.2),
                "failed_inspections_365d": Dist("poisson", 0.2, 0.9),
                "penalties_365d": Dist("poisson", 0.1, 0.5),
            },
            seed=4103,
        ),
        BuiltinModel(
            key="illegal_rx_sales",
            title="违规销售处方药监测",
            domain=RiskDomain.DRUG,
            department="药品监督管理局",
            estimator=EstimatorKind.GRADIENT_BOOSTING,
            rule={"feature": "rx_unverified_listings_30d", "op": ">=", "value": 1},
            generators={
                "rx_listings_30d": Dist("poisson", 4.0, 7.0),
                "rx_unverified_listings_30d": Dist("poisson", 0.8, 4.0),
                "failed_inspections_365d": Dist("poisson", 0.2, 1.0),
                "complaints_medical_90d": Dist("poisson", 0.3, 1.0),
                "penalties_365d": Dist("poisson", 0.1, 0.5),
            },
            seed=4104,
        ),
        BuiltinModel(
            key="illegal_device_sales",
            title="违规销售医疗器械监测",
            domain=RiskDomain.MEDICAL_DEVICE,
            department="药品监督管理局医疗器械监管科",
            estimator=EstimatorKind.LOGISTIC_REGRESSION,
            rule={"feature": "device_listings_30d", "op": ">=", "value": 1},
            generators={
                "device_listings_30d": Dist("poisson", 3.0, 5.0),
                "device_unregistered_listings_30d": Dist("poisson", 0.2, 2.0),
                "iot_alarms_30d": Dist("poisson", 0.3, 1.5),
                "failed_inspections_365d": Dist("poisson", 0.2, 0.8),
                "complaints_medical_90d": Dist("poisson", 0.2, 0.9),
            },
            seed=4105,
        ),
    )
}


def generate(model: BuiltinModel, n: int = 4000) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A labelled history (X, y) for the model's features; the same seed always gives the same data."""
    rng = np.random.default_rng(model.seed)
    truth = rng.random(n) < model.positive_rate
    activity = rng.gamma(4.0, 0.25, n)  # busier sellers show more of everything, risky or not
    columns = []
    for dist in model.generators.values():
        rate = np.where(truth, dist.positive, dist.negative)
        match dist.kind:
            case "poisson":
                col = rng.poisson(rate * activity).astype(float)
            case "beta":
                col = rng.beta(rate, 4.0)
            case "gamma":
                col = rng.gamma(rate / dist.scale, dist.scale)
            case _:
                raise ValueError(dist.kind)
        columns.append(col)
    flip = rng.random(n) < model.label_noise
    y = np.where(flip, ~truth, truth).astype(int)
    return np.column_stack(columns), y
