"""Helpers for the KIP-714 telemetry tests: decode pushed OTLP bytes with the real
``opentelemetry-proto`` classes (a test-only dependency), and wait for conditions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Point:
    """One decoded data point (one metric of one push)."""

    name: str
    kind: str  # "gauge" or "sum"
    value: float
    attributes: dict[str, str]
    time_unix_nano: int
    start_time_unix_nano: int
    temporality: int  # 0 for a gauge, 1 delta, 2 cumulative
    monotonic: bool


def metrics_pb2() -> Any:
    return pytest.importorskip("opentelemetry.proto.metrics.v1.metrics_pb2")


def decode(data: bytes) -> tuple[dict[str, str], list[Point]]:
    """(resource attributes, points) of a MetricsData payload."""
    message = metrics_pb2().MetricsData()
    message.ParseFromString(data)
    resource: dict[str, str] = {}
    points: list[Point] = []
    for rm in message.resource_metrics:
        for kv in rm.resource.attributes:
            resource[kv.key] = kv.value.string_value
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                assert kind in ("gauge", "sum"), kind
                body = getattr(metric, kind)
                temporality = body.aggregation_temporality if kind == "sum" else 0
                monotonic = body.is_monotonic if kind == "sum" else False
                for dp in body.data_points:
                    which = dp.WhichOneof("value")
                    value = float(dp.as_double if which == "as_double" else dp.as_int)
                    attrs = {kv.key: kv.value.string_value for kv in dp.attributes}
                    points.append(
                        Point(
                            metric.name, kind, value, attrs, dp.time_unix_nano,
                            dp.start_time_unix_nano, temporality, monotonic,
                        )
                    )  # fmt: skip
    return resource, points


def by_name(points: list[Point]) -> dict[str, Point]:
    return {p.name: p for p in points}


async def wait_until(
    condition: Callable[[], object], *, timeout: float = 30.0, what: str = "condition"
) -> None:
    """Poll ``condition`` (every 10 ms) until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)
