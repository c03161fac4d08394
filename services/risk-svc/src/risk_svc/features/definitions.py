"""The features risk models read: windowed aggregates per object over day buckets, and current states.

Each signal contributes values to (feature, day) buckets of its object, dated by the event's own
time, so late or out-of-order events land in the right day and windows slide with the calendar.
A feature's value is the sum (or maximum) of its buckets within the last `window_days` days.

State features are not windowed: they hold what complaint-svc last said about the complaint hot spots
(热点) the object is in (its own, its industry's, its region's), and drop to 0 when the hot spot cools.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Aggregate(StrEnum):
    SUM = "sum"
    MAX = "max"
    STATE = "state"  # the current value of a state kept beside the buckets (window_days 0)


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    window_days: int
    aggregate: Aggregate
    description: str


_SPECS = (
    FeatureSpec("complaints_30d", 30, Aggregate.SUM, "Complaints and reports received in the last 30 days."),
    FeatureSpec(
        "complaints_medical_90d", 90, Aggregate.SUM, "Complaints about medical services, drugs or devices, 90 days."
    ),
    FeatureSpec("finance_reports_90d", 90, Aggregate.SUM, "Complaints and reports about financial products, 90 days."),
    FeatureSpec("penalties_365d", 365, Aggregate.SUM, "Administrative penalties in the last year."),
    FeatureSpec("penalty_amount_365d", 365, Aggregate.SUM, "Fines imposed in the last year (yuan)."),
    FeatureSpec("inspections_365d", 365, Aggregate.SUM, "Inspections in the last year."),
    FeatureSpec("failed_inspections_365d", 365, Aggregate.SUM, "Inspections that found problems in the last year."),
    FeatureSpec(
        "medical_ad_hits_30d", 30, Aggregate.SUM, "Advertising-monitoring hits on medical, drug or device ads, 30 days."
    ),
    FeatureSpec(
        "medical_ad_severity_max_30d", 30, Aggregate.MAX, "Highest severity (0-1) of a medical ad hit, 30 days."
    ),
    FeatureSpec(
        "finance_ad_hits_30d", 30, Aggregate.SUM, "Advertising-monitoring hits on financial products, 30 days."
    ),
    FeatureSpec(
        "promised_return_max_90d", 90, Aggregate.MAX, "Highest annual return promised in a monitored ad (%), 90 days."
    ),
    FeatureSpec("drug_listings_30d", 30, Aggregate.SUM, "Online drug listings seen, 30 days."),
    FeatureSpec("rx_listings_30d", 30, Aggregate.SUM, "Online prescription-drug listings seen, 30 days."),
    FeatureSpec(
        "rx_unverified_listings_30d",
        30,
        Aggregate.SUM,
        "Prescription-drug listings sold without prescription check, 30 days.",
    ),
    FeatureSpec("device_listings_30d", 30, Aggregate.SUM, "Online medical-device listings seen, 30 days."),
    FeatureSpec(
        "device_unregistered_listings_30d",
        30,
        Aggregate.SUM,
        "Device listings without registration certificate, 30 days.",
    ),
    FeatureSpec(
        "unlicensed_listings_30d", 30, Aggregate.SUM, "Listings by a seller without the required licence, 30 days."
    ),
    FeatureSpec("iot_alarms_30d", 30, Aggregate.SUM, "IoT readings over their alarm threshold, 30 days."),
    FeatureSpec("opinion_mentions_30d", 30, Aggregate.SUM, "Public-opinion mentions, 30 days."),
    FeatureSpec(
        "opinion_negative_30d", 30, Aggregate.SUM, "Negative public-opinion items (sentiment < -0.3), 30 days."
    ),
    FeatureSpec(
        "complaint_hotspot_level",
        0,
        Aggregate.STATE,
        "The object's own complaint hot spot: 0 none (or cooled), 1 hot, 2 hot and growing.",
    ),
    FeatureSpec(
        "complaint_hotspot_count",
        0,
        Aggregate.STATE,
        "Complaints and reports in the window of the object's hot spot (0 when it is not hot).",
    ),
    FeatureSpec(
        "complaint_hotspot_growth",
        0,
        Aggregate.STATE,
        "Growth of the object's hot spot over the window before ((count - previous) / previous; count when "
        "nothing came before; 0 when not hot).",
    ),
    FeatureSpec(
        "industry_hotspot_level",
        0,
        Aggregate.STATE,
        "The hot spot of the object's industry: 0 none, 1 hot, 2 hot and growing.",
    ),
    FeatureSpec(
        "region_hotspot_level",
        0,
        Aggregate.STATE,
        "The hot spot of the object's region: 0 none, 1 hot, 2 hot and growing.",
    ),
)

FEATURES: dict[str, FeatureSpec] = {s.name: s for s in _SPECS}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
MAX_FEATURES: frozenset[str] = frozenset(s.name for s in _SPECS if s.aggregate is Aggregate.MAX)
STATE_FEATURES: tuple[str, ...] = tuple(s.name for s in _SPECS if s.aggregate is Aggregate.STATE)
WINDOWED_FEATURES: tuple[str, ...] = tuple(s.name for s in _SPECS if s.aggregate is not Aggregate.STATE)
LONGEST_WINDOW_DAYS = max(s.window_days for s in _SPECS)
