"""JVM processes: the Java command line, one-shot tool runs, and long-lived broker nodes.

A ``BrokerNode`` owns one ``kafka.Kafka`` process: start (output appended to a log file),
stop (SIGTERM, wait, SIGKILL), kill (SIGKILL) and restart with the same files, so data and
ports survive. Children get their own session (a Ctrl-C in the terminal reaches only the
Python side, which stops them in order) and, unless detached, die with it
(PR_SET_PDEATHSIG; children started from other threads are started by one long-lived
spawner thread, since the signal follows the starting thread), so a SIGKILLed test run
leaves no JVM behind (its temp dir is swept by the next start, see _jvm.sweep_stale_dirs).
JVM start-up dominates short tool runs, so the first run of each tool class (and of the
broker) per Kafka version and JDK dumps an AppCDS archive (-XX:ArchiveClassesAtExit) into the jar
cache; later runs map it (-XX:SharedArchiveFile): ~2.5 s -> ~0.9 s per tool launch here
(one archive per tool: a shared one covers too few of each tool's classes).
A stale or foreign archive is ignored by the JVM; unified JVM logging is off so its
warnings never reach a tool's stdout. AIOKAFKA_GEN_CDS=0 turns this off.
Must not decide configuration; it runs what it is given.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import BackendUnavailableError, ToolError
from ._versions import parse_version, tool_class

__all__ = ["BrokerNode", "JavaRuntime", "ZooKeeperNode", "tail"]

BROKER_HEAP = ("-Xms256m", "-Xmx512m")
TOOL_HEAP = ("-Xms64m", "-Xmx256m")
# C1 only: short-lived tools start faster and never run long enough for C2 to pay off.
TOOL_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto")
BROKER_FLAGS = ("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError")
_PR_SET_PDEATHSIG = 1
BROKER_OPTS_ENV = "AIOKAFKA_GEN_BROKER_JVM_OPTS"  # extra broker JVM flags, shell-quoted


def tail(path: Path, lines: int = 80) -> str:
    """The last ``lines`` lines of a text file ('' when missing)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 200 * lines))
            text = handle.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class JavaRuntime:
    """Kafka ``version`` with its ``lib/`` and logging configs in ``conf_dir``."""

    version: str
    lib: Path
    conf_dir: Path
    java: str = field(default_factory=lambda: _find_java())
    # Flags every JVM of this cluster gets (brokers, ZooKeeper and tools alike).
    jvm_options: tuple[str, ...] = ()
    # Appended to the classpath of every JVM of this cluster (a test's broker plugin); such
    # a cluster neither uses nor writes the shared class-data archives (they are per
    # classpath).
    extra_classpath: tuple[str, ...] = ()

    @property
    def legacy(self) -> bool:
        return parse_version(self.version)[0] < 4

    def command(
        self, main_class: str, args: Sequence[str], *, broker: bool, cds: Sequence[str] = ()
    ) -> list[str]:
        """The java argv; ``cds`` holds flags from ``cds_flags``."""
        heap, flags = (BROKER_HEAP, BROKER_FLAGS) if broker else (TOOL_HEAP, TOOL_FLAGS)
        level = "broker" if broker else "tools"
        extra = shlex.split(os.environ.get(BROKER_OPTS_ENV, "")) if broker else []
        return [
            self.java, *heap, *flags, *cds, *self.jvm_options, *extra,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.conf_dir / f'log4j2-{level}.properties'}",
            f"-Dlog4j.configuration=file:{self.conf_dir / f'log4j-{level}.properties'}",
            f"-Dkafka.logs.dir={self.conf_dir}",
            "-cp", os.pathsep.join([f"{self.lib}/*", *self.extra_classpath]),
            tool_class(main_class, self.version), *args,
        ]  # fmt: skip

    def run(
        self, tool: str, args: Sequence[str], *, input: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a Java tool to completion; stdout and stderr are captured."""
        flags, pending = self.cds_flags(tool_class(tool, self.version).rsplit(".", 1)[-1])
        argv = self.command(tool, args, broker=False, cds=flags)
        try:
            return subprocess.run(
                argv, input=input, capture_output=True, text=True, timeout=timeout, check=False
            )
        finally:
            self.publish_archive(pending)

    def cds_flags(self, kind: str, *, dump: bool = True) -> tuple[list[str], Path | None]:
        """Flags mapping the ``kind`` archive, or (``dump``) dumping it to a private temp
        file that is returned, to be published once the JVM has exited."""
        if os.environ.get("AIOKAFKA_GEN_CDS", "1") == "0" or self.extra_classpath:
            return [], None
        archive = self._archive(kind)
        if archive.exists():
            return [f"-XX:SharedArchiveFile={archive}", "-Xlog:disable"], None
        if not dump:
            return [], None
        pending = archive.with_name(f".{archive.name}.{os.getpid()}-{threading.get_ident()}")
        return [f"-XX:ArchiveClassesAtExit={pending}", "-Xlog:disable"], pending

    def _archive(self, kind: str) -> Path:
        java = Path(self.java).resolve()
        libjvm = java.parent.parent / "lib" / "server" / "libjvm.so"
        stat = (libjvm if libjvm.exists() else java).stat()
        tag = f"{stat.st_size:x}{int(stat.st_mtime):x}"
        return self.lib.parent / f"cds-{kind}-{tag}.jsa"

    def publish_archive(self, pending: Path | None) -> None:
        """Move a freshly dumped archive into place (atomic; any complete dump will do)."""
        if pending is None:
            return
        with contextlib.suppress(OSError):
            if pending.stat().st_size > 0:
                pending.replace(pending.with_name(pending.name[1:].rsplit(".", 1)[0]))
        pending.unlink(missing_ok=True)

    def run_checked(
        self, tool: str, args: Sequence[str], *, input: str | None = None, timeout: float = 120.0
    ) -> str:
        """Like ``run`` but raises ToolError on a non-zero exit; returns stdout."""
        done = self.run(tool, args, input=input, timeout=timeout)
        if done.returncode != 0:
            output = done.stdout + done.stderr
            raise ToolError(f"{tool} exited with {done.returncode}: {output[-3000:]}",
                            done.returncode, output)  # fmt: skip
        return done.stdout


def _find_java() -> str:
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / "java" if home else None
    if candidate is not None and candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise BackendUnavailableError("no java on PATH (or JAVA_HOME); the jvm backend needs a JDK")
    return found


def _death_signal_hook() -> Callable[[], None] | None:
    """A preexec hook that SIGKILLs the child when the starting thread dies (Linux)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    prctl = ctypes.CDLL(name, use_errno=True).prctl

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return hook


_spawner: concurrent.futures.ThreadPoolExecutor | None = None
_spawner_lock = threading.Lock()


def _popen_tied_to_us(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Popen whose child dies with this process. PR_SET_PDEATHSIG fires when the *starting
    thread* exits, so a child started from a short-lived worker thread (a node restarted with
    ``asyncio.to_thread``) is started from one long-lived spawner thread instead."""
    global _spawner
    if threading.current_thread() is threading.main_thread():
        return subprocess.Popen(argv, preexec_fn=_death_signal_hook(), **kwargs)
    with _spawner_lock:
        if _spawner is None:
            _spawner = concurrent.futures.ThreadPoolExecutor(1, "aiokafka-gen-spawner")
        spawner = _spawner

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, preexec_fn=_death_signal_hook(), **kwargs)

    return spawner.submit(spawn).result()


class BrokerNode:
    """One broker JVM (KRaft combined broker+controller, or a ZooKeeper-mode broker) and its
    files (server.properties, data, log)."""

    main_class = "Kafka"
    cds_kind = "broker"
    broker_jvm = True

    def __init__(self, node_id: int, directory: Path, runtime: JavaRuntime) -> None:
        self.node_id = node_id
        self.directory = directory
        self.runtime = runtime
        self.detached = False
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None
        self._pending_archive: Path | None = None

    @property
    def properties_path(self) -> Path:
        return self.directory / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def log_path(self) -> Path:
        return self.directory / "broker.log"

    @property
    def pid(self) -> int | None:
        return self._pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def start(self, *, detached: bool = False) -> None:
        """Launch the JVM (no-op when already running); output goes to ``log_path``."""
        if self.running:
            return
        flags, self._pending_archive = self.runtime.cds_flags(self.cds_kind, dump=not detached)
        argv = self.runtime.command(
            self.main_class, [str(self.properties_path)], broker=self.broker_jvm, cds=flags
        )
        with self.log_path.open("ab") as log:
            options: dict[str, Any] = {
                "stdin": subprocess.DEVNULL, "stdout": log, "stderr": subprocess.STDOUT,
                "cwd": self.directory, "start_new_session": True,
            }  # fmt: skip
            if detached:
                self._process = subprocess.Popen(argv, **options)
            else:
                self._process = _popen_tied_to_us(argv, **options)
        self._pid = self._process.pid
        self.detached = detached

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (clean shutdown), then SIGKILL after ``timeout`` seconds."""
        self._signal(signal.SIGTERM)
        if not self._wait(timeout):
            self.kill()
        self.runtime.publish_archive(self._pending_archive)
        self._pending_archive = None

    def kill(self) -> None:
        """SIGKILL: a crash, as a fault test wants it."""
        self._signal(signal.SIGKILL)
        self._wait(30.0)

    def _signal(self, signum: int) -> None:
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signum)

    def _wait(self, timeout: float) -> bool:
        if self._process is None:
            return True
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def log_tail(self, lines: int = 80) -> str:
        return tail(self.log_path, lines)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        kind = type(self).__name__
        return f"<{kind} {self.node_id} {state} pid={self._pid} dir={self.directory}>"


class ZooKeeperNode(BrokerNode):
    """The one standalone ZooKeeper of a ZooKeeper-mode cluster, from the ZooKeeper jar Kafka
    depends on (it is on Kafka's classpath). Small heap, C1 only: it holds a few znodes."""

    main_class = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
    cds_kind = "zookeeper"
    broker_jvm = False

    @property
    def properties_path(self) -> Path:
        return self.directory / "zookeeper.properties"

    @property
    def log_path(self) -> Path:
        return self.directory / "zookeeper.log"
