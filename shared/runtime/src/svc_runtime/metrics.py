"""Prometheus metrics shared by the runtime's parts, and the `/metrics` endpoint."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests handled", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter("outbox_events_published_total", "Outbox events sent to Kafka", ["topic"])
OUTBOX_REPUBLISHED = Counter("outbox_events_republished_total", "Retained outbox events queued again after broker loss")
OUTBOX_PENDING = Gauge("outbox_events_pending", "Outbox events not yet acknowledged by Kafka")
EVENTS_CONSUMED = Counter(
    "events_consumed_total", "Events handled by consumers", ["group", "outcome"]
)  # outcome: applied, duplicate, dead_lettered, retried
BROKER_RESETS = Counter("broker_state_losses_total", "Times the broker was found to have lost its state", ["role"])

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
