"""The ``external`` backend: a cluster someone else runs, named by AIOKAFKA_GEN_BOOTSTRAP.

Only PLAINTEXT is known (one bootstrap string); start() checks a broker answers, stop()
leaves it alone. Must not start or stop any process.
"""

from __future__ import annotations

from ._config import ClusterSpec
from ._errors import BackendUnavailableError, ClusterStartError, ClusterStateError
from ._probe import probe
from ._process import BrokerNode

__all__ = ["ExternalBackend", "parse_bootstrap"]


def parse_bootstrap(text: str) -> list[tuple[str, int]]:
    """``"h1:9092,h2:9092"`` -> ``[("h1", 9092), ("h2", 9092)]``."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        host, sep, port = item.rpartition(":")
        if not item or not sep or not port.isdigit():
            raise ValueError(f"bad bootstrap address {item!r} in {text!r}")
        pairs.append((host.strip("[]"), int(port)))
    return pairs


class ExternalBackend:
    """An already running cluster; the harness only points at it."""

    def __init__(self, spec: ClusterSpec, bootstrap: str) -> None:
        self.nodes: list[BrokerNode] = []
        if not bootstrap:
            raise BackendUnavailableError("backend 'external' needs AIOKAFKA_GEN_BOOTSTRAP")
        if spec.listeners != ("PLAINTEXT",):
            raise BackendUnavailableError("backend 'external' knows only a PLAINTEXT bootstrap")
        if spec.extra_classpath:
            raise BackendUnavailableError("backend 'external' cannot add to a broker's classpath")
        self.spec = spec
        self.addresses = parse_bootstrap(bootstrap)

    def start(self) -> None:
        errors = []
        for host, port in self.addresses:
            try:
                probe(host, port)
                return
            except (OSError, ValueError) as exc:
                errors.append(f"{host}:{port}: {exc}")
        raise ClusterStartError(f"no external broker answered: {'; '.join(errors)}")

    def bootstrap(self, listener: str) -> str:
        if listener != "PLAINTEXT":
            raise ClusterStateError(f"external cluster: no {listener} bootstrap known")
        return ",".join(f"{host}:{port}" for host, port in self.addresses)

    def stop(self) -> None:
        """Nothing to stop: the cluster is not ours."""
