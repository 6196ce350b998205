"""Argument checks shared by the producer, the consumer, the admin client and the harness.

Topic names follow Kafka's own rule (``org.apache.kafka.common.internals.Topic``): 1 to 249
characters from ``[a-zA-Z0-9._-]``, and neither ``.`` nor ``..``. A name that breaks it is
refused here with ``InvalidTopicError`` (the broker's code 17) before any request is sent,
so a bad name fails at once instead of waiting for metadata that will never come.

Numeric settings are checked against the range Kafka's Java client allows for the same
setting (its ``ConfigDef`` validators); a value outside it raises
``KafkaConfigurationError``, which is also a ``ValueError``. Stdlib only, no I/O.
"""

from __future__ import annotations

import re
from typing import TypedDict

from aiokafka_gen.errors import KafkaConfigurationError, for_code

__all__ = [
    "MAX_TOPIC_LENGTH",
    "RangeBounds",
    "check_range",
    "check_topic",
    "topic_name_problem",
]

MAX_TOPIC_LENGTH = 249
_LEGAL = re.compile(r"[a-zA-Z0-9._-]+")
_INVALID_TOPIC = 17


class RangeBounds(TypedDict, total=False):
    """The keyword arguments of ``check_range`` (a settings table's bounds of one name)."""

    at_least: float
    at_most: float
    integral: bool
    allow_none: bool


def topic_name_problem(name: str) -> str | None:
    """Why ``name`` is not a legal Kafka topic name, or None when it is."""
    if not name:
        return "a topic name must not be empty"
    if name in (".", ".."):
        return f"a topic name cannot be {name!r}"
    if len(name) > MAX_TOPIC_LENGTH:
        return f"a topic name has at most {MAX_TOPIC_LENGTH} characters, not {len(name)}"
    if _LEGAL.fullmatch(name) is None:
        bad = sorted({c for c in name if _LEGAL.fullmatch(c) is None})
        return (
            f"topic {name!r} has characters {''.join(bad)!r}: a topic name may hold only "
            "ASCII letters, digits, '.', '_' and '-'"
        )
    return None


def check_topic(name: object) -> str:
    """Return ``name`` when it is a legal topic name.

    Raises TypeError when it is not a ``str`` and ``InvalidTopicError`` (a
    ``BrokerResponseError`` with errno 17) when it breaks Kafka's naming rule.
    """
    if not isinstance(name, str):
        raise TypeError(f"a topic name must be a str, not {type(name).__name__}")
    problem = topic_name_problem(name)
    if problem is not None:
        raise for_code(_INVALID_TOPIC)(problem)
    return name


def check_range(name: str, value: object, *, at_least: float | None = None,
                at_most: float | None = None, integral: bool = False,
                allow_none: bool = False) -> None:  # fmt: skip
    """Refuse ``value`` unless it is a number within ``[at_least, at_most]``.

    ``name`` is the keyword argument's name, used in the message. Floats are accepted
    (aiokafka takes ``linger_ms=0.5``) unless ``integral``; bools and NaN never are.
    """
    if value is None and allow_none:
        return
    kinds = int if integral else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value != value:
        kind = "an int" if integral else "a number"
        raise KafkaConfigurationError(f"{name} must be {kind}, not {value!r}")
    if at_least is not None and value < at_least:
        raise KafkaConfigurationError(f"{name} must be at least {at_least}, not {value}")
    if at_most is not None and value > at_most:
        raise KafkaConfigurationError(f"{name} must be at most {at_most}, not {value}")
