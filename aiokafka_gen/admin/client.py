"""``AIOKafkaAdminClient``: aiokafka's admin client, the whole admin surface, typed results.

The class is assembled from one mixin per area (topics, partitions, configs, cluster,
groups, ACLs, users and quotas, transactions); ``_base`` holds routing and retries. Owns
one ``AIOKafkaClient`` (its connections and metadata task) from ``start()`` to ``close()``.
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

from aiokafka_gen import __version__
from aiokafka_gen._logging import client_logger, tagged
from aiokafka_gen._observe import Observable, Observers
from aiokafka_gen._validate import RangeBounds
from aiokafka_gen.abc import AbstractTokenProvider
from aiokafka_gen.admin import _checks as checks
from aiokafka_gen.admin._acls import AclsMixin
from aiokafka_gen.admin._cluster import ClusterMixin
from aiokafka_gen.admin._configs import ConfigsMixin
from aiokafka_gen.admin._coordinators import CoordinatorCache
from aiokafka_gen.admin._partitions import PartitionsMixin
from aiokafka_gen.admin._quotas import QuotasMixin
from aiokafka_gen.admin._share_groups import ShareGroupsMixin
from aiokafka_gen.admin._topics import TopicsMixin
from aiokafka_gen.admin._transactions import TransactionsMixin
from aiokafka_gen.client import AIOKafkaClient
from aiokafka_gen.client_config import ClientConfig
from aiokafka_gen.conn._metrics import MetricsOptions

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider

    from aiokafka_gen.metrics import MetricName

__all__ = ["AIOKafkaAdminClient"]

log = client_logger("aiokafka_gen.admin")
# Kafka's AdminClientConfig ranges of the connection settings, in the order they are checked
_CLIENT_RANGES: dict[str, RangeBounds] = {
    "request_timeout_ms": {"at_least": 1, "at_most": checks.INT32_MAX},
    "metadata_max_age_ms": {"at_least": 0, "at_most": checks.INT64_MAX},
    "retry_backoff_ms": {"at_least": 0, "at_most": checks.INT64_MAX},
    "connections_max_idle_ms": {"at_least": checks.INT64_MIN, "at_most": checks.INT64_MAX},
}


class AIOKafkaAdminClient(
    TopicsMixin,
    PartitionsMixin,
    ConfigsMixin,
    ClusterMixin,
    ShareGroupsMixin,  # consumer groups (GroupsMixin) and share groups
    AclsMixin,
    QuotasMixin,
    TransactionsMixin,
    Observable,
):
    """Administer a Kafka cluster: topics, partitions, configs, groups, ACLs, quotas,
    SCRAM users, transactions.

    aiokafka 0.14's constructor (keyword-only) and method names and arguments. ``loop`` is
    accepted and ignored without a warning, as aiokafka's admin client takes it silently;
    ``api_version`` is a no-op that warns (DeprecationWarning) when given, as aiokafka's
    does. Numeric settings are checked against the ranges of Kafka's ``AdminClientConfig``
    (KafkaConfigurationError): ``request_timeout_ms`` 1..2**31-1 (an int32 on the wire;
    Java allows 0, which would time every request out at once, so the client refuses it),
    ``metadata_max_age_ms`` and ``retry_backoff_ms`` 0..2**63-1, and
    ``connections_max_idle_ms`` any int64 (0 or less: idle connections are never closed).
    Added: ``metrics_enabled`` (True; ``metrics()``), ``metrics_num_samples``,
    ``metrics_sample_window_ms``, ``enable_metrics_push`` (False, as Java's admin client)
    and ``meter_provider`` (OpenTelemetry metrics).

    Results are frozen dataclasses from ``aiokafka_gen.admin.results``; methods acting on
    several resources return one result per resource and, unless
    ``raise_on_error=False``, raise the first failed resource's typed error after handling
    all of them. ``async with`` starts and closes the client.
    """

    def __init__(
        self,
        *,
        loop: object = None,
        bootstrap_servers: str | Iterable[str] = "localhost",
        client_id: str = "aiokafka-" + __version__,
        request_timeout_ms: int = 40000,
        connections_max_idle_ms: int = 540000,
        retry_backoff_ms: int = 100,
        metadata_max_age_ms: int = 300000,
        security_protocol: str = "PLAINTEXT",
        ssl_context: ssl.SSLContext | None = None,
        api_version: object = None,
        sasl_mechanism: str = "PLAIN",
        sasl_plain_username: str | None = None,
        sasl_plain_password: str | None = None,
        sasl_kerberos_service_name: str = "kafka",
        sasl_kerberos_domain_name: str | None = None,
        sasl_oauth_token_provider: AbstractTokenProvider | None = None,
        metrics_enabled: bool = True,
        metrics_num_samples: int = 2,
        metrics_sample_window_ms: int = 30000,
        enable_metrics_push: bool = False,  # Java's admin client default (producer: True)
        meter_provider: MeterProvider | None = None,
    ) -> None:
        del loop  # aiokafka's admin client accepts it without a warning; so do we
        self._metrics_options = MetricsOptions.create(locals())
        if api_version is not None:
            warnings.warn(
                "api_version does nothing (versions are negotiated with each broker) and"
                " will be removed",
                DeprecationWarning,
                stacklevel=2,
            )
        config = ClientConfig.create(locals(), _CLIENT_RANGES)
        self._request_timeout_ms = config.request_timeout_ms
        self._started = False
        self._closed = False
        self._coordinators = CoordinatorCache()
        self._client = AIOKafkaClient.from_config(config)
        self._registry = self._metrics_options.registry(client_id, "admin-client")
        if self._registry is not None:
            self._client.attach_metrics(self._registry)
        self._observers = Observers(
            self._client, self._registry, meter_provider=meter_provider,
            push=self._metrics_options.push,
        )  # fmt: skip

    def metrics(self) -> dict[MetricName, float]:
        """Every metric's value now, by ``MetricName`` (name, group, tags): the connection
        metrics Java's admin client has (``admin-client-metrics``,
        ``admin-client-node-metrics``) plus ``admin-client-request-metrics`` per API (rate,
        latency, errors). Empty when created with ``metrics_enabled=False``."""
        return {} if self._registry is None else self._registry.snapshot()

    async def start(self) -> None:
        """Bootstrap: fetch cluster metadata from the first bootstrap server that answers."""
        if self._started:
            return
        with tagged(self._client.client_id, "admin-client"):  # its tasks' log lines name it
            await self._client.bootstrap()
            self._started = True
            self._observers.start()
            log.debug("admin client started")

    async def close(self) -> None:
        """Close every connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with tagged(self._client.client_id, "admin-client"):
            await self._observers.close(self._request_timeout_ms / 1000)
            await self._client.close()

    async def __aenter__(self) -> AIOKafkaAdminClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def client(self) -> AIOKafkaClient:
        """The underlying ``AIOKafkaClient`` (for requests this class does not wrap)."""
        return self._client

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("started" if self._started else "new")
        return f"<AIOKafkaAdminClient {state} {self._client!r}>"
