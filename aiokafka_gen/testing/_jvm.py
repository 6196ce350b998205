"""The ``jvm`` backend: Kafka from Maven jars, one JVM per node; KRaft combined mode from
Kafka 3.3 on, ZooKeeper mode before.

Theory of operation: resolve the classpath (cached), pick ports, write each node's
server.properties and logging configs into a fresh temp dir. KRaft: format every node's
storage with StorageTool (own JVM each: it calls System.exit). ZooKeeper mode: start one
standalone ZooKeeper (QuorumPeerMain from the ZooKeeper jar on Kafka's classpath) on a free
port, wait until it answers ``srvr``, write the SCRAM users into it with ConfigCommand.
Then start all nodes together (a lone KRaft node of three cannot elect a controller) and
wait until each node's PLAINTEXT port answers a Metadata probe listing every broker. While
that runs, stderr says so (``_progress.waiting``: a spinner and elapsed seconds on a
terminal, a line at the start and one at "ready" elsewhere; ``quiet`` or
``AIOKAFKA_GEN_QUIET=1`` silences it); it only watches, the start does not wait for it.
Stopping stops the brokers first (a ZooKeeper-mode broker's controlled shutdown needs
ZooKeeper), then ZooKeeper. Must not know about pytest or the CLI.

Java 17 and old ZooKeeper clients: a ZooKeeper client before 3.5.8 (Kafka 2.0-2.4 ship
3.4.13-3.5.7) parses the host out of ``InetSocketAddress.toString()``, whose format changed
in Java 14 (``127.0.0.1/<unresolved>:port``), and then fails with UnresolvedAddressException
forever. Those clusters get a hosts file (``-Djdk.net.hosts.file``) that maps that odd
name, ``localhost`` and this host's name to 127.0.0.1; nothing else resolves in their JVMs.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ._config import (
    ClusterSpec,
    NodePlan,
    TlsFiles,
    new_cluster_id,
    plan_nodes,
    render_log4j,
    render_server_properties,
    render_zookeeper_properties,
    scram_format_args,
    scram_zookeeper_commands,
    to_properties_text,
)
from ._errors import ClusterStartError, ClusterStateError
from ._jars import ensure_kafka_lib
from ._ports import free_ports
from ._probe import ClusterView, probe
from ._process import BrokerNode, JavaRuntime, ZooKeeperNode
from ._progress import Reporter, waiting
from ._state import pid_alive
from ._tls import ensure_tls_files

__all__ = ["DIR_PREFIX", "JvmBackend", "sweep_stale_dirs"]

_POLL_S = 0.1
_FORMAT_TIMEOUT_S = 120.0  # StorageTool is a short JVM run; not part of the readiness budget
DIR_PREFIX = "aiokafka-gen-kafka-"
OWNER_FILE = "owner.pid"
_ZK_FIXED_CLIENT = (3, 5, 8)  # first ZooKeeper client that reads Java 14+'s address format
_ZK_JAR = re.compile(r"zookeeper-(\d+)\.(\d+)\.(\d+)\.jar")


def zookeeper_jar_version(lib: Path) -> tuple[int, int, int] | None:
    """The version of the ZooKeeper jar in ``lib`` (None when there is none: Kafka 4)."""
    for jar in sorted(os.listdir(lib)):
        match = _ZK_JAR.fullmatch(jar)
        if match:
            major, minor, patch = (int(part) for part in match.groups())
            return major, minor, patch
    return None


def zookeeper_ready(port: int, timeout: float = 1.0) -> bool:
    """Does the ZooKeeper on ``port`` answer the ``srvr`` four-letter command?"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"srvr")
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
    except OSError:
        return False
    return b"Zookeeper version" in reply


def sweep_stale_dirs(parent: Path | None = None) -> list[Path]:
    """Remove cluster dirs left by a SIGKILLed owner: the owner pid is dead and no process
    mentions the dir. Detached clusters (owner "detached") are left to ``down``."""
    base = Path(parent or tempfile.gettempdir())
    stale = [d for d in base.glob(f"{DIR_PREFIX}*") if _owner_dead(d / OWNER_FILE)]
    stale = [d for d in stale if not _referenced(str(d))]
    for directory in stale:
        shutil.rmtree(directory, ignore_errors=True)
    return stale


def _owner_dead(owner: Path) -> bool:
    try:
        text = owner.read_text().strip()
    except OSError:
        return False
    if not text.isdigit():
        return False
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _referenced(marker: str) -> bool:
    """Does any live process's command line mention ``marker``?"""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and pid_alive(int(entry.name), marker):
            return True
    return False


class JvmBackend:
    """Owns the temp dir, the node processes and the TLS files of one cluster."""

    def __init__(
        self, spec: ClusterSpec, *, startup_timeout: float, quiet: bool | None = None
    ) -> None:
        self.spec = spec
        self.startup_timeout = startup_timeout
        self.quiet = quiet  # None: AIOKAFKA_GEN_QUIET decides
        self.cluster_id = new_cluster_id()
        self.root: Path | None = None
        self.runtime: JavaRuntime | None = None
        self.tls: TlsFiles | None = None
        self.plans: list[NodePlan] = []
        self.nodes: list[BrokerNode] = []
        self.zookeeper: ZooKeeperNode | None = None
        self.zookeeper_port: int | None = None

    @property
    def zookeeper_connect(self) -> str | None:
        """``127.0.0.1:<port>`` of the cluster's ZooKeeper (ZooKeeper mode only)."""
        return None if self.zookeeper_port is None else f"127.0.0.1:{self.zookeeper_port}"

    def start(self, *, detached: bool = False) -> None:
        lib = ensure_kafka_lib(self.spec.version, quiet=self.quiet)
        with waiting(Reporter(quiet=self.quiet), self.title(), doing="starting"):
            self._start(lib, detached)

    def title(self) -> str:
        """``Kafka 4.4.0 (1 node, KRaft)`` for the status lines."""
        count = self.spec.nodes
        mode = "ZooKeeper mode" if self.spec.zookeeper else "KRaft"
        return f"Kafka {self.spec.version} ({count} node{'s' if count != 1 else ''}, {mode})"

    def _start(self, lib: Path, detached: bool) -> None:
        self.tls = ensure_tls_files() if self.spec.needs_tls else None
        sweep_stale_dirs()
        self.root = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        (self.root / OWNER_FILE).write_text("detached" if detached else str(os.getpid()))
        options = self._jvm_options(lib)
        self.runtime = JavaRuntime(
            self.spec.version, lib, self.root, jvm_options=options,
            extra_classpath=self.spec.extra_classpath,
        )  # fmt: skip
        if self.spec.zookeeper:
            self.zookeeper_port = free_ports(1)[0]
        self._write_files()
        if self.spec.zookeeper:
            self._start_zookeeper(detached)
        else:
            self._format_all()
        for node in self.nodes:
            node.start(detached=detached)
        self.wait_ready(self.nodes)

    def _jvm_options(self, lib: Path) -> tuple[str, ...]:
        zk = zookeeper_jar_version(lib) if self.spec.zookeeper else None
        if zk is None or zk >= _ZK_FIXED_CLIENT:
            return ()
        assert self.root is not None
        hosts = self.root / "hosts"
        names = ["localhost", "127.0.0.1/<unresolved>", "localhost/<unresolved>"]
        names += [socket.gethostname()]
        hosts.write_text("127.0.0.1 " + " ".join(dict.fromkeys(names)) + "\n")
        return (f"-Djdk.net.hosts.file={hosts}",)

    def _start_zookeeper(self, detached: bool) -> None:
        assert self.root is not None and self.runtime is not None
        assert self.zookeeper_port is not None and self.zookeeper_connect is not None
        node = ZooKeeperNode(0, self.root / "zookeeper", self.runtime)
        node.directory.mkdir()
        props = render_zookeeper_properties(node.data_dir, self.zookeeper_port)
        node.properties_path.write_text(to_properties_text(props))
        self.zookeeper = node
        node.start(detached=detached)
        deadline = time.monotonic() + self.startup_timeout
        while not zookeeper_ready(self.zookeeper_port):
            if not node.running:
                self._fail(node, f"(ZooKeeper) exited with status {node.returncode}")
            if time.monotonic() > deadline:
                self._fail(node, f"(ZooKeeper) not ready after {self.startup_timeout:.0f} s")
            time.sleep(_POLL_S)
        for args in scram_zookeeper_commands(self.spec, self.zookeeper_connect):
            self.runtime.run_checked("ConfigCommand", args, timeout=_FORMAT_TIMEOUT_S)

    def _write_files(self) -> None:
        assert self.root is not None and self.runtime is not None
        legacy = self.runtime.legacy
        for level, name in (("INFO", "broker"), ("WARN", "tools")):
            (self.root / f"log4j2-{name}.properties").write_text(render_log4j(level, legacy=False))
            (self.root / f"log4j-{name}.properties").write_text(render_log4j(level, legacy=legacy))
        self.plans = plan_nodes(self.spec)
        for plan in self.plans:
            self.nodes.append(self._write_node(plan))

    def _write_node(self, plan: NodePlan) -> BrokerNode:
        assert self.root is not None and self.runtime is not None
        node = BrokerNode(plan.node_id, self.root / f"node-{plan.node_id}", self.runtime)
        node.directory.mkdir()
        props = render_server_properties(
            self.spec, self.plans, plan, node.data_dir, self.tls, self.zookeeper_connect
        )
        node.properties_path.write_text(to_properties_text(props))
        return node

    def _format_all(self) -> None:
        with ThreadPoolExecutor(max_workers=len(self.nodes)) as pool:
            list(pool.map(self._format, self.nodes))

    def _format(self, node: BrokerNode) -> None:
        assert self.runtime is not None
        args = ["format", "-t", self.cluster_id, "-c", str(node.properties_path)]
        args += scram_format_args(self.spec)
        for feature in self.spec.features:
            args += ["--feature", feature]
        self.runtime.run_checked("StorageTool", args, timeout=_FORMAT_TIMEOUT_S)

    def bootstrap(self, listener: str) -> str:
        if listener not in self.spec.listeners:
            raise ClusterStateError(f"no {listener} listener (have {self.spec.listeners})")
        return ",".join(f"127.0.0.1:{plan.ports[listener]}" for plan in self.plans)

    def plaintext_port(self, node_id: int) -> int:
        return int(self.plans[node_id - 1].ports["PLAINTEXT"])

    def wait_ready(self, nodes: list[BrokerNode], expected: int | None = None) -> None:
        """Until every node in ``nodes`` reports ``expected`` (default: all) brokers."""
        want = len(self.nodes) if expected is None else expected
        deadline = time.monotonic() + self.startup_timeout
        for node in nodes:
            self._wait_node(node, want, deadline)

    def _wait_node(self, node: BrokerNode, want: int, deadline: float) -> None:
        while True:
            if not node.running:
                self._fail(node, f"exited with status {node.returncode}")
            view = self._try_probe(node)
            if view is not None and len(view.brokers) >= want:
                return
            if time.monotonic() > deadline:
                seen = "nothing" if view is None else f"{len(view.brokers)} broker(s)"
                self._fail(node, f"not ready after {self.startup_timeout:.0f} s ({seen} seen)")
            time.sleep(_POLL_S)

    def _try_probe(self, node: BrokerNode) -> ClusterView | None:
        try:
            return probe("127.0.0.1", self.plaintext_port(node.node_id), timeout=1.0)
        except (OSError, ValueError):
            return None

    def _fail(self, node: BrokerNode, reason: str) -> None:
        mode = "ZooKeeper mode" if self.spec.zookeeper else "KRaft"
        message = (
            f"Kafka {self.spec.version} ({mode}) node {node.node_id} {reason}; "
            f"log {node.log_path}, last lines:\n{node.log_tail(60)}"
        )
        zk = self.zookeeper
        if zk is not None and zk is not node and not zk.running:
            message += f"\nZooKeeper exited ({zk.returncode}), {zk.log_path}:\n{zk.log_tail(30)}"
        raise ClusterStartError(message)

    def stop(self, *, remove: bool = True) -> None:
        """Stop all nodes in parallel (clean SIGTERM, then SIGKILL), then ZooKeeper, then drop
        the temp dir."""
        if self.nodes:
            with ThreadPoolExecutor(max_workers=len(self.nodes)) as pool:
                list(pool.map(lambda node: node.stop(), self.nodes))
        if self.zookeeper is not None:
            self.zookeeper.stop()
        if remove and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
