"""Kafka's classpath from Maven Central, cached per version outside the repository.

Theory of operation: a tiny generated pom.xml depends on ``kafka_2.13`` and ``kafka-tools``
(without ``connect-runtime``: the topic/ACL/config/feature/perf/console tools do not need
it). Maven does all fetching (so mirrors, proxies, the local repository and checksum
checks in the user's Maven settings apply), in three calls of the dependency plugin:
``tree`` (pinned to a 3.x plugin, which only collects: POMs, no jars) lists the artifacts,
so the download knows its totals; ``copy-dependencies`` copies the runtime jars into a temp
dir next to the cache entry. The published POMs carry no slf4j binding, so a third call
adds the one matching the logging backend that landed in ``lib/`` (log4j2 in 4.x). The temp
dir is renamed into place, and all of it runs under an exclusive file lock, so parallel
sessions neither corrupt nor duplicate the download.

Progress (``_progress``): Maven runs in batch mode and its "Downloaded from" lines are read
as they come: POMs while resolving, then artifacts and bytes done of the totals (the jar
sizes come from HEAD requests to the repository Maven used, in the background; a total
that cannot be learned stays unknown). Jars already in the local Maven repository count as
done at once. A warm cache prints nothing; ``AIOKAFKA_GEN_QUIET=1`` or ``quiet=True``
silences the rest. If the pinned plugin cannot run (an old Maven, offline without it), the
plugin version Maven picks runs as before, without totals.
Must not start Kafka; it only produces a ``lib/`` directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ._errors import BackendUnavailableError, JarResolutionError
from ._progress import DownloadProgress, Reporter

__all__ = [
    "Artifact",
    "MavenWatcher",
    "binding_artifact",
    "cache_root",
    "download_classpath",
    "ensure_kafka_lib",
    "local_repository",
    "parse_tree",
    "render_pom",
    "scala_suffix",
]

CACHE_ENV = "AIOKAFKA_GEN_CACHE"
_EXCLUDED = ("org.apache.kafka:connect-runtime",)
_MAVEN_TIMEOUT_S = 900.0
_BINDING = re.compile(r"(slf4j-(reload4j|log4j12|simple)|log4j-slf4j2?-impl)-\d")
# 3.x: ``tree`` only collects (POMs); the 2.x plugin older Mavens pick downloads every jar.
PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
CENTRAL = "https://repo.maven.apache.org/maven2/"
_TRANSFER = re.compile(
    r"Download(ing|ed) from [^:\s]+: (\S+)(?: \((\d+(?:\.\d+)?) ?(B|kB|KB|MB|GB) at)?"
)
_UNITS = {"B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3}
_SIZE_WORKERS = 8
_SIZE_TIMEOUT_S = 10.0  # one HEAD request
_SIZE_DEADLINE_S = 30.0  # every size, in all


def cache_root() -> Path:
    """``$AIOKAFKA_GEN_CACHE`` or ``~/.cache/aiokafka_gen``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path.home() / ".cache" / "aiokafka_gen"


def scala_suffix(version: str) -> str:
    """The Scala build of ``kafka_<scala>`` to use: 2.13 exists from Kafka 2.4 on, 2.12 before."""
    parts = tuple(int(part) for part in version.split(".")[:2])
    return "2.13" if parts >= (2, 4) else "2.12"


def render_pom(version: str) -> str:
    """The pom.xml whose runtime dependencies are Kafka's broker and tools (ZooKeeper, which
    Kafka before 4.0 depends on, comes with the broker)."""
    exclusions = "".join(
        "<exclusion><groupId>{}</groupId><artifactId>{}</artifactId></exclusion>".format(
            *item.split(":")
        )
        for item in _EXCLUDED
    )
    return f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>aiokafka-gen</groupId><artifactId>kafka-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_{scala_suffix(version)}</artifactId>
      <version>{version}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId>
      <version>{version}</version><exclusions>{exclusions}</exclusions></dependency>
  </dependencies>
</project>
"""


def binding_artifact(jar_names: list[str]) -> str | None:
    """The Maven coordinates of the slf4j binding to add, or None when one is present.

    slf4j 1.x + log4j2 -> log4j-slf4j-impl; slf4j 2.x + log4j2 -> log4j-slf4j2-impl;
    no log4j2 at all -> slf4j-simple of the slf4j-api version.
    """
    if any(_BINDING.match(name) for name in jar_names):
        return None
    slf4j = _jar_version(jar_names, "slf4j-api")
    log4j = _jar_version(jar_names, "log4j-core")
    if slf4j is None:
        raise JarResolutionError(f"no slf4j-api among the resolved jars: {jar_names}")
    if log4j is None:
        return f"org.slf4j:slf4j-simple:{slf4j}"
    impl = "log4j-slf4j-impl" if slf4j.startswith("1.") else "log4j-slf4j2-impl"
    return f"org.apache.logging.log4j:{impl}:{log4j}"


def _jar_version(jar_names: list[str], artifact: str) -> str | None:
    for name in jar_names:
        match = re.fullmatch(re.escape(artifact) + r"-(\d[\w.\-]*)\.jar", name)
        if match:
            return match.group(1)
    return None


@dataclass(frozen=True)
class Artifact:
    """One resolved Maven artifact."""

    group: str
    name: str
    version: str
    classifier: str = ""
    extension: str = "jar"

    @property
    def file_name(self) -> str:
        suffix = f"-{self.classifier}" if self.classifier else ""
        return f"{self.name}-{self.version}{suffix}.{self.extension}"

    @property
    def path(self) -> str:
        """The path below a repository root (remote or local)."""
        group = self.group.replace(".", "/")
        return f"{group}/{self.name}/{self.version}/{self.file_name}"

    @classmethod
    def from_coordinates(cls, coordinates: str) -> Artifact:
        """``group:artifact:version`` (what ``dependency:copy -Dartifact=`` takes)."""
        group, name, version = coordinates.split(":")[:3]
        return cls(group, name, version)


def parse_tree(text: str) -> list[Artifact]:
    """The runtime jars in ``dependency:tree`` text output (the root line is skipped)."""
    found: list[Artifact] = []
    for line in text.splitlines()[1:]:
        fields = re.sub(r"^[|+\\\-\s]*", "", line).split(" ")[0].split(":")
        if len(fields) == 5:
            group, name, kind, version, scope = fields
            classifier = ""
        elif len(fields) == 6:
            group, name, kind, classifier, version, scope = fields
        else:
            continue
        if kind == "jar" and scope in ("compile", "runtime"):
            found.append(Artifact(group, name, version, classifier))
    return found


def local_repository(environ: Mapping[str, str] | None = None) -> Path:
    """Where Maven keeps its local repository: ``-Dmaven.repo.local`` in MAVEN_OPTS or
    MAVEN_ARGS, else ``<localRepository>`` in ~/.m2/settings.xml, else ~/.m2/repository.
    Used only to count jars already there as done; a wrong guess only skews the display."""
    env = os.environ if environ is None else environ
    for variable in ("MAVEN_OPTS", "MAVEN_ARGS"):
        match = re.search(r"-Dmaven\.repo\.local=(\S+)", env.get(variable, ""))
        if match:
            return Path(match.group(1)).expanduser()
    home = Path.home()
    try:
        settings = (home / ".m2" / "settings.xml").read_text(errors="replace")
    except OSError:
        settings = ""
    settings = re.sub(r"<!--.*?-->", "", settings, flags=re.DOTALL)
    match = re.search(r"<localRepository>\s*([^<]+?)\s*</localRepository>", settings)
    if match:
        return Path(match.group(1).replace("${user.home}", str(home))).expanduser()
    return home / ".m2" / "repository"


class MavenWatcher:
    """Turns Maven's batch-mode transfer lines into ``DownloadProgress`` updates.

    While resolving it counts POMs and notes the repository the root POM came from; after
    ``expect`` it counts the expected jars as their "Downloaded from" lines arrive (without
    ``expect``, every jar counts: the fallback without totals).
    """

    def __init__(
        self, progress: DownloadProgress, root_pom: str, local_repo: Path | None = None
    ) -> None:
        self.progress = progress
        self.root_pom = root_pom
        self.local_repo = local_repository() if local_repo is None else local_repo
        self.base: str | None = None
        self.count_jars = False
        self._pending: dict[str, Artifact] | None = None
        self._lock = threading.Lock()
        progress.in_flight = self.in_flight

    def expect(self, artifacts: list[Artifact], *, sizes: bool = True) -> None:
        """The jars to come; those already in the local repository count as done now.
        With ``sizes``, their byte total is looked up in a background thread."""
        missing = {a.file_name: a for a in artifacts if not (self.local_repo / a.path).is_file()}
        with self._lock:
            self._pending = dict(missing)
        self.count_jars = True
        self.progress.expect(len(artifacts), cached=len(artifacts) - len(missing))
        if not missing:
            self.progress.set_bytes_total(0)
        elif sizes:
            base = self.base or CENTRAL
            urls = [base + artifact.path for artifact in missing.values()]
            threading.Thread(
                target=self._look_up_sizes, args=(urls,), name="aiokafka-gen-sizes", daemon=True
            ).start()

    def _look_up_sizes(self, urls: list[str]) -> None:
        """Runs in a daemon thread, with up to ``_SIZE_WORKERS`` daemon workers of its own
        (not an executor: its workers are joined at interpreter exit, so hung requests
        would hold up the process's exit). Gives up after ``_SIZE_DEADLINE_S`` in all; the
        byte total then stays unknown."""
        sizes: list[int | None] = [None] * len(urls)
        todo = iter(range(len(urls)))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    index = next(todo, None)
                if index is None:
                    return
                sizes[index] = remote_size(urls[index])

        workers = [
            threading.Thread(target=work, name="aiokafka-gen-size", daemon=True)
            for _ in range(min(_SIZE_WORKERS, len(urls)))
        ]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + _SIZE_DEADLINE_S
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        if all(size is not None for size in sizes):
            self.progress.set_bytes_total(sum(size or 0 for size in sizes))

    def feed(self, line: str) -> None:
        match = _TRANSFER.search(line)
        if match is None:
            return
        verb, url, amount, unit = match.groups()
        if verb == "ing":
            if self.base is None and url.endswith("/" + self.root_pom):
                self.base = url[: -len(self.root_pom)]
            return
        if url.endswith(".pom"):
            self.progress.pom_fetched()
            return
        if not (self.count_jars and url.endswith(".jar")):
            return
        approx = int(float(amount) * _UNITS[unit]) if amount and unit else 0
        name = url.rsplit("/", 1)[-1]
        if self._pending is None:
            self.progress.artifact_done(approx)
            return
        with self._lock:
            artifact = self._pending.pop(name, None)
        if artifact is not None:
            self.progress.artifact_done(self._exact_size(artifact) or approx)

    def in_flight(self) -> int:
        """Bytes in the local repository's partial files of expected jars (Maven writes
        ``<jar>.part`` in resolver 1.x, ``<jar>.<random>.tmp`` in later ones)."""
        with self._lock:
            pending = list(self._pending.values()) if self._pending else []
        total = 0
        for artifact in pending:
            folder = self.local_repo / artifact.path
            with contextlib.suppress(OSError), os.scandir(folder.parent) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith(artifact.file_name) and name.endswith((".part", ".tmp")):
                        total += entry.stat().st_size
        return total

    def _exact_size(self, artifact: Artifact) -> int | None:
        try:
            return (self.local_repo / artifact.path).stat().st_size
        except OSError:
            return None


def remote_size(url: str) -> int | None:
    """The Content-Length a HEAD request reports, or None (no answer, no header, an error)."""
    import urllib.request

    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=_SIZE_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
    except (OSError, ValueError):
        return None
    return int(length) if length and length.isdigit() else None


def ensure_kafka_lib(version: str, *, quiet: bool | None = None) -> Path:
    """The cached ``lib/`` of Kafka ``version``, downloading it once if needed (with
    progress on stderr unless ``quiet`` or ``AIOKAFKA_GEN_QUIET=1``)."""
    entry = cache_root() / "kafka" / version
    lib = entry / "lib"
    if lib.is_dir():
        return lib
    entry.mkdir(parents=True, exist_ok=True)
    reporter = Reporter(quiet=quiet)
    what = f"Kafka {version} jars"
    root = Artifact("org.apache.kafka", f"kafka_{scala_suffix(version)}", version, "", "pom")
    notice = f"{what}: another process is downloading them; waiting"
    with _locked(entry / ".lock", lambda: reporter.line(notice)):
        if not lib.is_dir():
            download_classpath(entry, render_pom(version), what, root.path, reporter)
    return lib


@contextlib.contextmanager
def _locked(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def download_classpath(entry: Path, pom: str, what: str, root_pom: str, reporter: Reporter) -> None:
    """Resolve ``pom``'s runtime classpath with Maven into ``entry/lib`` (atomically), with
    progress for ``what`` on ``reporter``. ``root_pom`` is the repository path of one
    dependency's POM (it tells which repository served the downloads). No locking here."""
    work = Path(tempfile.mkdtemp(prefix=".download-", dir=entry))
    progress = DownloadProgress(reporter, what)
    watcher = MavenWatcher(progress, root_pom)
    try:
        (work / "pom.xml").write_text(pom)
        with progress.running():
            _fetch(work, watcher)
        jars = sorted(os.listdir(work / "lib"))
        size = sum((work / "lib" / jar).stat().st_size for jar in jars)
        (work / "lib").rename(entry / "lib")
        progress.finish(len(jars), size, str(entry / "lib"))
    except BaseException:
        progress.fail()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _fetch(work: Path, watcher: MavenWatcher) -> None:
    """Resolve (for the totals), copy the runtime jars, add the slf4j binding."""
    out = f"-DoutputDirectory={work / 'lib'}"
    artifacts = _resolve(work, watcher)
    plugin = "dependency" if artifacts is None else PLUGIN
    if artifacts:
        binding = binding_artifact([artifact.file_name for artifact in artifacts])
        extra = [] if binding is None else [Artifact.from_coordinates(binding)]
        watcher.expect(artifacts + extra)
    else:
        watcher.count_jars = True
    _mvn(work, f"{plugin}:copy-dependencies", out, "-DincludeScope=runtime", on_line=watcher.feed)
    binding = binding_artifact(sorted(os.listdir(work / "lib")))
    if binding is not None:
        _mvn(work, f"{plugin}:copy", out, f"-Dartifact={binding}", on_line=watcher.feed)


def _resolve(work: Path, watcher: MavenWatcher) -> list[Artifact] | None:
    """The runtime jars from the pinned plugin's ``tree`` (POMs only), or None when that
    plugin cannot run here (the caller then lets Maven pick the plugin, as before)."""
    tree = work / "tree.txt"
    try:
        _mvn(
            work, f"{PLUGIN}:tree", "-Dscope=runtime", f"-DoutputFile={tree}", on_line=watcher.feed
        )
        return parse_tree(tree.read_text())
    except (JarResolutionError, OSError):
        return None


def _mvn(work: Path, goal: str, *props: str, on_line: Callable[[str], None] | None = None) -> None:
    """Run Maven in batch mode, streaming its output to ``on_line`` (errors there are
    ignored: progress must never fail a download); on failure raise with the output's
    tail, transfer lines left out."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BackendUnavailableError("Maven (mvn) is not on PATH; the jvm backend needs it")
    argv = [mvn, "-B", "-Dstyle.color=never", goal, *props]
    tail: deque[str] = deque(maxlen=120)
    with subprocess.Popen(
        argv, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, text=True, errors="replace",
    ) as proc:  # fmt: skip
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(_MAVEN_TIMEOUT_S, expire)
        timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if _TRANSFER.search(line) is None:
                    tail.append(line)
                if on_line is not None:
                    with contextlib.suppress(Exception):
                        on_line(line)
            code = proc.wait()
        except BaseException:
            proc.kill()
            raise
        finally:
            timer.cancel()
    if code != 0:
        why = (
            f"timed out after {_MAVEN_TIMEOUT_S:.0f} s" if expired.is_set() else f"failed ({code})"
        )
        text = "".join(tail)[-4000:]
        raise JarResolutionError(f"{' '.join(argv)} {why}:\n{text}")
