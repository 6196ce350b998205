"""The metrics reference table, generated from the catalogue (what the code registers).

``markdown()`` returns one Markdown document: a section per client kind, one row per metric
(name, group, tags, statistic, unit, meaning, Java equivalent). ``rows()`` gives the same
rows as data for other renderers (a Sphinx extension, a JSON dump).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .catalogue import ADMIN, ALL_GAUGES, ALL_SENSORS, CONSUMER, PRODUCER, STATS

__all__ = ["Row", "markdown", "rows"]

SECTIONS = (
    ("producer", "Producer", (PRODUCER,)),
    ("consumer", "Consumer", (CONSUMER,)),
    ("connection", "Connections (every client)", (PRODUCER, CONSUMER, ADMIN)),
)


@dataclass(frozen=True, slots=True)
class Row:
    section: str
    name: str
    group: str
    tags: tuple[str, ...]
    stat: str
    unit: str
    description: str
    java: str
    #: The sensor that records it ("" for a gauge), and what one record is.
    sensor: str
    records: str


def _section(clients: tuple[str, ...]) -> str:
    for key, _title, owners in SECTIONS:
        if clients == owners:
            return key
    raise ValueError(f"no reference section for clients {clients!r}")


def rows() -> Iterator[Row]:
    """Every catalogue metric, sensors' metrics first, in declaration order."""
    for spec in ALL_SENSORS:
        tags = ("client-id", *spec.tags)
        for metric in spec.metrics:
            yield Row(
                _section(spec.clients),
                metric.name,
                spec.group,
                tags,
                metric.stat,
                metric.unit,
                metric.description,
                metric.java,
                spec.key,
                spec.records,
            )
    for gauge in ALL_GAUGES:
        yield Row(
            _section(gauge.clients),
            gauge.name,
            gauge.group,
            ("client-id", *gauge.tags),
            "gauge",
            gauge.unit,
            gauge.description,
            gauge.java,
            "",
            "",
        )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The reference as Markdown (MyST-compatible: plain pipe tables)."""
    out = [
        "# Metrics reference",
        "",
        "Generated from `aiokafka_gen.metrics.catalogue` by "
        "`python -m aiokafka_gen.metrics --markdown`; do not edit by hand.",
        "",
        "A group written `{prefix}-...` exists once per client: `producer-...`, "
        "`consumer-...` and `admin-client-...`. A node is tagged `node-id=node-<id>` as in "
        "Java. Windowed statistics cover the last `num_samples` windows of `sample_window` "
        "seconds (2 x 30 s by default, as Java).",
        "",
        "Statistics: "
        + "; ".join(f"`{key}`: {text}" for key, text in STATS.items())
        + "; `gauge`: read from the client's state when asked.",
    ]
    all_rows = list(rows())
    for key, title, _owners in SECTIONS:
        out += [
            "",
            f"## {title}",
            "",
            "| metric | group | tags | statistic | unit | meaning | Java equivalent |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in all_rows:
            if row.section != key:
                continue
            java = f"`{row.java}`" if row.java else "none (this client only)"
            out.append(
                f"| `{row.name}` | `{row.group}` | {', '.join(row.tags)} | {row.stat} | "
                f"{_cell(row.unit)} | {_cell(row.description)} | {java} |"
            )
    return "\n".join(out) + "\n"
