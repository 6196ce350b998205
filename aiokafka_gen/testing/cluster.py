"""``KafkaCluster``: a real Kafka for tests, behind one object whatever the backend.

Backends: ``jvm`` (default; Kafka from Maven jars), ``testcontainers`` (apache/kafka image,
needs a Docker engine), ``external`` (``AIOKAFKA_GEN_BOOTSTRAP`` names a running cluster).
Everything a client needs comes from here: bootstrap addresses per listener, credentials,
PEM paths, an ``ssl.SSLContext``, Java client property files, and Kafka's Java tools
(``run_tool``, ``create_topic``). Must not import pytest.
"""

from __future__ import annotations

import functools
import os
import shutil
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ._config import (
    ADMIN_USER,
    ClusterSpec,
    TlsFiles,
    listeners_for,
    render_client_properties,
    render_log4j,
    to_properties_text,
)
from ._errors import BackendUnavailableError, ClusterStateError, ToolError
from ._probe import ClusterView, probe
from ._process import BrokerNode, JavaRuntime
from ._versions import check_supported, config_flag, parse_version, pinned_version

if TYPE_CHECKING:
    from ._docker import ContainerBackend
    from ._external import ExternalBackend
    from ._jvm import JvmBackend
    from ._state import ClusterState, NodeState

    _Backend = JvmBackend | ContainerBackend | ExternalBackend

__all__ = ["BACKENDS", "BOOTSTRAP_ENV", "KafkaCluster", "select_backend"]

BOOTSTRAP_ENV = "AIOKAFKA_GEN_BOOTSTRAP"
BACKENDS = ("auto", "jvm", "testcontainers", "external")


def select_backend(requested: str | None, env: Mapping[str, str]) -> str:
    """Resolve ``auto``: external when the env names a bootstrap, else jvm when a JDK is
    present, else testcontainers when a Docker engine answers; explicit names pass through."""
    name = (requested or "auto").lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {requested!r}; choose one of {BACKENDS}")
    if name != "auto":
        return name
    if env.get(BOOTSTRAP_ENV):
        return "external"
    if shutil.which("java") or env.get("JAVA_HOME"):
        return "jvm"
    from ._docker import docker_engine_available

    if docker_engine_available():
        return "testcontainers"
    raise BackendUnavailableError("no JDK, no Docker engine and no AIOKAFKA_GEN_BOOTSTRAP")


class KafkaCluster:
    """A Kafka cluster for tests. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        version: str | None = None,
        kafka_version: str | None = None,
        nodes: int = 1,
        security: str = "plaintext",
        acls: bool = False,
        broker_properties: Mapping[str, str] | None = None,
        features: Sequence[str] = (),
        users: Mapping[str, str] | None = None,
        backend: str | None = "jvm",
        startup_timeout: float | None = None,
        extra_classpath: Sequence[str] = (),
    ) -> None:
        if version and kafka_version and version != kafka_version:
            raise ValueError(f"version={version!r} and kafka_version={kafka_version!r} differ")
        spec_kw: dict[str, dict[str, str]] = {} if users is None else {"users": dict(users)}
        self.spec = ClusterSpec(
            version=version or kafka_version or pinned_version(), nodes=nodes,
            listeners=listeners_for(security),
            acls=acls, broker_properties=dict(broker_properties or {}), features=tuple(features),
            extra_classpath=tuple(str(entry) for entry in extra_classpath), **spec_kw,
        )  # fmt: skip
        check_supported(self.spec.version)
        self.backend_name = select_backend(backend, os.environ)
        self.startup_timeout = startup_timeout or (60.0 if nodes == 1 else 120.0)
        self.startup_seconds: float | None = None
        self._backend: _Backend | None = None
        self._tools: JavaRuntime | None = None
        self._scratch: Path | None = None

    # ---- lifecycle -------------------------------------------------------------------
    def start(self, *, detached: bool = False) -> KafkaCluster:
        """Start the cluster and wait until every broker is ready; records startup_seconds."""
        if self._backend is not None:
            return self
        begin = time.perf_counter()
        self._backend, start_backend = self._make_backend(detached)
        try:
            start_backend()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - begin
        return self

    def _make_backend(self, detached: bool) -> tuple[_Backend, Callable[[], None]]:
        """The backend, and the call that starts it."""
        if self.backend_name == "jvm":
            from ._jvm import JvmBackend

            jvm = JvmBackend(self.spec, startup_timeout=self.startup_timeout)
            return jvm, functools.partial(jvm.start, detached=detached)
        if self.backend_name == "testcontainers":
            from ._docker import ContainerBackend

            container = ContainerBackend(self.spec, startup_timeout=self.startup_timeout)
            return container, container.start
        from ._external import ExternalBackend

        external = ExternalBackend(self.spec, os.environ.get(BOOTSTRAP_ENV, ""))
        return external, external.start

    def stop(self) -> None:
        """Stop every node and remove the cluster's temp files (idempotent)."""
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.stop()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def detach(self) -> ClusterState:
        """Forget the processes without stopping them; returns the state to stop them later."""
        state = self.state()
        self._backend = None
        return state

    def __enter__(self) -> KafkaCluster:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def started(self) -> bool:
        return self._backend is not None

    def _running(self) -> _Backend:
        if self._backend is None:
            raise ClusterStateError("the cluster is not started")
        return self._backend

    # ---- addresses, credentials, TLS ----------------------------------------------------
    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def listeners(self) -> tuple[str, ...]:
        return self.spec.listeners

    @property
    def zookeeper_mode(self) -> bool:
        """True for Kafka before 3.3 (brokers registered in a harness-run ZooKeeper)."""
        return self.spec.zookeeper

    @property
    def zookeeper_connect(self) -> str | None:
        """``127.0.0.1:<port>`` of the cluster's ZooKeeper (jvm backend, ZooKeeper mode)."""
        connect: str | None = getattr(self._running(), "zookeeper_connect", None)
        return connect

    @property
    def sasl_mechanisms(self) -> tuple[str, ...]:
        """The SASL mechanisms the brokers enable (KRaft before 3.5 has no SCRAM)."""
        return self.spec.mechanisms

    def bootstrap(self, listener: str = "PLAINTEXT") -> str:
        """``host:port,...`` of ``listener`` on every node."""
        return str(self._running().bootstrap(listener.upper()))

    @property
    def credentials(self) -> Mapping[str, str]:
        """SASL users (PLAIN and both SCRAM mechanisms) -> passwords; ``admin`` is super user."""
        return dict(self.spec.users)

    @property
    def admin_user(self) -> str:
        return ADMIN_USER

    @property
    def tls(self) -> TlsFiles:
        """Keystores and PEM files (ca_pem, client_cert_pem, client_key_pem)."""
        files: TlsFiles | None = getattr(self._running(), "tls", None)
        if files is None:
            raise ClusterStateError("this cluster has no TLS listener")
        return files

    def ssl_context(self, *, client_cert: bool = False) -> ssl.SSLContext:
        """A context trusting the test CA; with ``client_cert`` it presents the mTLS cert."""
        context = ssl.create_default_context(cafile=str(self.tls.ca_pem))
        if client_cert:
            context.load_cert_chain(str(self.tls.client_cert_pem), str(self.tls.client_key_pem))
        return context

    def client_properties(
        self,
        listener: str = "PLAINTEXT",
        *,
        mechanism: str | None = None,
        user: str = ADMIN_USER,
        password: str | None = None,
        client_cert: bool = True,
        trust: bool = True,
        oauth_scope: str | None = "kafka",
        extra: Mapping[str, str] | None = None,
    ) -> Path:
        """Write a Java client properties file for ``listener`` and return its path."""
        listener = listener.upper()
        secret = self.spec.users.get(user, "") if password is None else password
        tls = self.tls if self.spec.needs_tls else None
        props = render_client_properties(
            listener, tls, mechanism=mechanism, user=user, password=secret,
            client_cert=client_cert, trust=trust, oauth_scope=oauth_scope,
        )  # fmt: skip
        props |= dict(extra or {})
        handle, name = tempfile.mkstemp(prefix="client-", suffix=".properties", dir=self._dir())
        with os.fdopen(handle, "w") as out:
            out.write(to_properties_text(props))
        return Path(name)

    def _dir(self) -> Path:
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="aiokafka-gen-client-"))
            for level, name in (("WARN", "tools"), ("INFO", "broker")):
                legacy = parse_version(self.version)[0] < 4
                (self._scratch / f"log4j2-{name}.properties").write_text(
                    render_log4j(level, legacy=False)
                )
                (self._scratch / f"log4j-{name}.properties").write_text(
                    render_log4j(level, legacy=legacy)
                )
        return self._scratch

    # ---- nodes and state -----------------------------------------------------------------
    @property
    def nodes(self) -> list[BrokerNode]:
        """Per-node handles (jvm backend): ``kill()``, ``stop()``; restart with start_node."""
        return list(getattr(self._running(), "nodes", []))

    def node(self, node_id: int) -> BrokerNode:
        for candidate in self.nodes:
            if candidate.node_id == node_id:
                return candidate
        raise ClusterStateError(f"no node {node_id} (backend {self.backend_name})")

    def start_node(self, node_id: int, *, wait: bool = True) -> None:
        """Restart a stopped or killed node with its data and ports; waits until it is ready."""
        backend = self._running()
        target = self.node(node_id)
        from ._jvm import JvmBackend  # loaded: only the jvm backend has nodes

        assert isinstance(backend, JvmBackend)
        target.start()
        if wait:
            backend.wait_ready([target])

    def describe(self) -> ClusterView:
        """Cluster id, controller and brokers, as reported by a live broker."""
        for address in self.bootstrap().split(","):
            host, _, port = address.rpartition(":")
            try:
                return probe(host, int(port))
            except OSError:
                continue
        raise ClusterStateError("no broker answered the metadata probe")

    def log_tails(self, lines: int = 80) -> dict[str, str]:
        """Node name -> last log lines (for failure reports)."""
        backend = self._backend
        if backend is None:
            return {}
        if hasattr(backend, "log_tail"):
            return {self.backend_name: backend.log_tail(lines)}
        return {f"node-{n.node_id} ({n.log_path})": n.log_tail(lines) for n in backend.nodes}

    @property
    def data_dir(self) -> Path | None:
        """The cluster's temp dir (jvm backend), removed by stop()."""
        root: Path | None = getattr(self._backend, "root", None)
        return root

    def state(self) -> ClusterState:
        """What a detached cluster's state file holds."""
        backend = self._running()
        nodes: list[NodeState] = [
            {"node_id": n.node_id, "pid": n.pid, "dir": str(n.directory), "log": str(n.log_path)}
            for n in getattr(backend, "nodes", [])
        ]
        state: ClusterState = {
            "backend": self.backend_name, "version": self.version,
            "root": str(self.data_dir) if self.data_dir else None, "nodes": nodes,
            "bootstrap": {name: self.bootstrap(name) for name in self._bootstrap_listeners()},
            "credentials": dict(self.credentials) if self.spec.needs_sasl else {},
        }  # fmt: skip
        zookeeper = getattr(backend, "zookeeper", None)
        if zookeeper is not None:
            state["zookeeper"] = {
                "pid": zookeeper.pid, "dir": str(zookeeper.directory),
                "log": str(zookeeper.log_path), "connect": self.zookeeper_connect,
            }  # fmt: skip
        if self.spec.needs_tls:
            tls = {k: str(v) for k, v in vars(self.tls).items() if k != "password"}
            tls["password"] = self.tls.password
            state["tls"] = tls
        return state

    def _bootstrap_listeners(self) -> tuple[str, ...]:
        return self.listeners if self.backend_name == "jvm" else ("PLAINTEXT",)

    # ---- Java tools ----------------------------------------------------------------------
    def run_tool(
        self,
        tool: str,
        *args: str,
        config: Path | None = None,
        input: str | None = None,
        timeout: float = 120.0,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run one of Kafka's Java tools (short name like ``TopicCommand`` or a class name).

        ``config`` (from client_properties) is passed with the flag the tool expects.
        Raises ToolError on a non-zero exit when ``check``.
        """
        argv = list(args)
        if config is not None:
            argv += [config_flag(tool, self.version), str(config)]
        done = self._tool_runner(tool, argv, input, timeout)
        if check and done.returncode != 0:
            output = done.stdout + done.stderr
            message = f"{tool} exited with {done.returncode}: {output[-3000:]}"
            raise ToolError(message, done.returncode, output)
        return done

    def _tool_runner(
        self, tool: str, argv: list[str], input: str | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        backend = self._running()
        if hasattr(backend, "run_tool"):
            result: subprocess.CompletedProcess[str] = backend.run_tool(
                tool, argv, input=input, timeout=timeout
            )
            return result
        runtime: JavaRuntime = getattr(backend, "runtime", None) or self._own_runtime()
        return runtime.run(tool, argv, input=input, timeout=timeout)

    def _own_runtime(self) -> JavaRuntime:
        if self._tools is None:
            from ._jars import ensure_kafka_lib

            self._tools = JavaRuntime(self.version, ensure_kafka_lib(self.version), self._dir())
        return self._tools

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication_factor: int = 1,
        configs: Mapping[str, str] | None = None,
    ) -> None:
        """Create a topic with aiokafka_gen's admin client and wait until every partition
        has a leader (callable from sync code and from inside a running event loop). An
        illegal topic name raises InvalidTopicError before anything starts."""
        from aiokafka_gen._validate import check_topic
        from aiokafka_gen.testing import _admin

        check_topic(name)
        work = _admin.create_topic(
            self.bootstrap(), name, partitions, replication_factor, configs or {}
        )
        _admin.run_sync(work)

    def list_topics(self) -> list[str]:
        """Topic names, internal ones excluded, sorted."""
        from aiokafka_gen.testing import _admin

        return _admin.run_sync(_admin.list_topics(self.bootstrap()))

    def __repr__(self) -> str:
        where = self.bootstrap() if self.started else "stopped"
        return (
            f"<KafkaCluster {self.backend_name} Kafka {self.version} nodes={self.spec.nodes} "
            f"listeners={','.join(self.listeners)} {where}>"
        )
