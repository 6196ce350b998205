"""The harness's progress output: the renderer with fake streams and a fake clock (terminal
vs log, unknown totals, quiet), Maven's transfer lines turned into counts, the broker-start
status, and one real Maven download of a small artifact (skipped without Maven or network).
"""

from __future__ import annotations

import io
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from aiokafka_gen.testing._config import ClusterSpec
from aiokafka_gen.testing._jars import (
    CENTRAL,
    Artifact,
    MavenWatcher,
    cache_root,
    download_classpath,
    local_repository,
    remote_size,
)
from aiokafka_gen.testing._jvm import JvmBackend
from aiokafka_gen.testing._progress import (
    QUIET_ENV,
    DownloadProgress,
    Reporter,
    format_bytes,
    quiet_from_env,
    waiting,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def log_reporter(clock: FakeClock, interval: float = 5.0) -> tuple[Reporter, io.StringIO]:
    stream = io.StringIO()
    return Reporter(stream, quiet=False, interval=interval, clock=clock), stream


def test_format_bytes() -> None:
    assert format_bytes(0) == "0 B"
    assert format_bytes(999) == "999 B"
    assert format_bytes(41_125) == "41.1 kB"
    assert format_bytes(11_234_567) == "11.2 MB"
    assert format_bytes(999_990_000) == "1.0 GB"
    assert format_bytes(3_400_000_000) == "3.4 GB"


def test_quiet_from_env() -> None:
    assert not quiet_from_env({})
    assert not quiet_from_env({QUIET_ENV: "0"})
    assert not quiet_from_env({QUIET_ENV: "false"})
    assert quiet_from_env({QUIET_ENV: "1"})
    assert quiet_from_env({QUIET_ENV: "yes"})


def test_not_a_terminal_is_a_plain_stream() -> None:
    assert not Reporter(io.StringIO(), quiet=False).tty
    assert Reporter(FakeTty(), quiet=False).tty


def test_log_lines_are_throttled_and_deduplicated() -> None:
    clock = FakeClock()
    reporter, stream = log_reporter(clock)
    reporter.status("a")  # the first is written
    clock.now += 1
    reporter.status("b")  # too soon
    reporter.status("c", force=True)  # forced
    clock.now += 5
    reporter.status("c")  # due, but unchanged
    reporter.status("d")  # due and changed
    reporter.line("done")
    assert stream.getvalue() == "a\nc\nd\ndone\n"
    assert "\r" not in stream.getvalue()


def test_terminal_redraws_one_line() -> None:
    stream = FakeTty()
    reporter = Reporter(stream, quiet=False)
    reporter.status("one")
    reporter.status("two")
    reporter.line("final")
    assert stream.getvalue() == "\rone\x1b[K\rtwo\x1b[K\r\x1b[Kfinal\n"
    reporter.clear()  # nothing shown: nothing to erase
    assert stream.getvalue().endswith("final\n")


def test_terminal_line_is_cut_to_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "20")
    stream = FakeTty()
    Reporter(stream, quiet=False).status("x" * 50)
    drawn = stream.getvalue().removeprefix("\r").removesuffix("\x1b[K")
    assert len(drawn) == 19 and drawn.endswith("...")


def test_quiet_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for stream in (io.StringIO(), FakeTty()):
        reporter = Reporter(stream, quiet=True)
        progress = DownloadProgress(reporter, "Kafka 9.9.9 jars")
        with progress.running():
            progress.expect(3)
            progress.artifact_done(10)
        progress.finish(3, 10, "/x")
        with waiting(reporter, "Kafka 9.9.9 (1 node, KRaft)"):
            pass
        assert stream.getvalue() == ""
    monkeypatch.setenv(QUIET_ENV, "1")
    assert Reporter(io.StringIO()).quiet


def test_download_text_with_and_without_totals() -> None:
    clock = FakeClock()
    reporter, _ = log_reporter(clock)
    progress = DownloadProgress(reporter, "Kafka 9.9.9 jars")
    assert progress.render() == "Kafka 9.9.9 jars: resolving dependencies with Maven (0 s)"
    progress.pom_fetched()
    clock.now += 3
    assert progress.render() == "Kafka 9.9.9 jars: resolving dependencies with Maven, 1 POMs (3 s)"
    fallback = DownloadProgress(reporter, "K")
    fallback.artifact_done(1_500_000)  # no totals (the fallback)
    fallback.artifact_done(0)
    assert fallback.render() == "K: downloading 2 artifacts, 1.5 MB (0 s)"
    progress.expect(10, cached=4)
    progress.artifact_done(2_000_000)
    text = "Kafka 9.9.9 jars: downloading 5/10 artifacts, 2.0 MB (3 s)"
    assert progress.render() == text
    progress.set_bytes_total(8_000_000)
    progress.in_flight = lambda: 1_000_000
    assert progress.render() == "Kafka 9.9.9 jars: downloading 5/10 artifacts, 3.0 MB/8.0 MB (3 s)"


def test_download_bar_on_a_terminal() -> None:
    reporter = Reporter(FakeTty(), quiet=False, clock=FakeClock())
    progress = DownloadProgress(reporter, "K")
    assert progress.render().startswith("| K: resolving")  # a spinner, no bar yet
    progress.expect(4)
    progress.artifact_done(100)
    assert (
        progress.render()
        == "| [######..................]  25% K: downloading 1/4 artifacts, 100 B (0 s)"
    )
    progress.set_bytes_total(200)  # bytes decide once their total is known
    assert "[############............]  50%" in progress.render()
    progress.in_flight = lambda: 1 // 0  # a failing probe counts nothing
    assert "100 B/200 B" in progress.render()


def test_bytes_shown_never_go_back_nor_past_the_total() -> None:
    progress = DownloadProgress(Reporter(io.StringIO(), quiet=False, clock=FakeClock()), "K")
    progress.expect(2)
    progress.set_bytes_total(100)
    partial = [60]
    progress.in_flight = lambda: partial[0]
    assert "60 B/100 B" in progress.render()
    partial[0] = 0  # the file was renamed; Maven's line has not come yet
    assert "60 B/100 B" in progress.render()
    progress.artifact_done(60)
    partial[0] = 500  # an odd partial file must not overshoot
    assert "100 B/100 B" in progress.render()


def test_download_lines_in_a_log() -> None:
    clock = FakeClock()
    reporter, stream = log_reporter(clock)
    progress = DownloadProgress(reporter, "K")
    with progress.running():
        for _ in range(40):
            progress.pom_fetched()  # within 5 s: no line each
        clock.now += 6
        progress.pom_fetched()
        progress.expect(2)  # forced: the download starts
        progress.artifact_done(5000)
        progress.artifact_done(6000)
    clock.now += 1
    progress.finish(2, 11000, "/cache/lib")
    progress.set_bytes_total(11000)  # a late size look-up prints nothing after finish
    assert stream.getvalue().splitlines() == [
        "K: resolving dependencies with Maven (0 s)",
        "K: resolving dependencies with Maven, 41 POMs (6 s)",
        "K: downloading 0/2 artifacts, 0 B (6 s)",
        "K: 2 artifacts (11.0 kB) ready in 7.0 s, cached in /cache/lib",
    ]


def test_log_heartbeat_while_nothing_changes() -> None:
    ticks = iter(range(0, 10_000, 2))  # every reading of the clock: two seconds later
    stream = io.StringIO()
    reporter = Reporter(stream, quiet=False, interval=0.05, clock=lambda: float(next(ticks)))
    progress = DownloadProgress(reporter, "K")
    progress.expect(1)
    with progress.running():
        time.sleep(0.4)
    lines = stream.getvalue().splitlines()
    assert 3 <= len(lines) <= 12, lines  # one per interval (the elapsed seconds change)
    assert all(line.startswith("K: downloading 0/1 artifacts, 0 B (") for line in lines)


def test_waiting_in_a_log_is_two_lines() -> None:
    clock = FakeClock()
    reporter, stream = log_reporter(clock)
    with waiting(reporter, "Kafka 9.9.9 (1 node, KRaft)", doing="starting"):
        clock.now += 4.25
    assert stream.getvalue().splitlines() == [
        "Kafka 9.9.9 (1 node, KRaft): starting ...",
        "Kafka 9.9.9 (1 node, KRaft): ready in 4.2 s",
    ]


def test_waiting_on_a_terminal_spins_and_ends_on_one_line() -> None:
    stream = FakeTty()
    reporter = Reporter(stream, quiet=False)
    with waiting(reporter, "K", doing="starting"):
        time.sleep(0.3)
    out = stream.getvalue()
    assert out.startswith("\r| K: starting ... 0 s\x1b[K")
    assert out.count("\r") >= 2 and out.endswith("\n")
    assert re.search(r"\r\x1b\[KK: ready in 0\.\d s\n$", out)
    assert not any(t.name == "aiokafka-gen-progress" for t in threading.enumerate())


def test_waiting_reports_a_failure_and_reraises() -> None:
    clock = FakeClock()
    reporter, stream = log_reporter(clock)
    with pytest.raises(RuntimeError, match="boom"), waiting(reporter, "K"):
        clock.now += 2
        raise RuntimeError("boom")
    assert stream.getvalue().splitlines()[-1] == "K: failed after 2.0 s"


def test_jvm_status_title() -> None:
    one = JvmBackend(ClusterSpec(version="4.4.0"), startup_timeout=1.0)
    three = JvmBackend(ClusterSpec(version="2.8.2", nodes=3), startup_timeout=1.0, quiet=True)
    assert one.title() == "Kafka 4.4.0 (1 node, KRaft)"
    assert three.title() == "Kafka 2.8.2 (3 nodes, ZooKeeper mode)"


M2 = "https://repo.example/m2/"
MAVEN_LINES = [
    f"[INFO] Downloading from central: {M2}org/apache/kafka/kafka_2.13/9.9.9/kafka_2.13-9.9.9.pom",
    f"[INFO] Downloaded from central: {M2}org/apache/kafka/kafka_2.13/9.9.9/kafka_2.13-9.9.9.pom"
    " (2.1 kB at 15 kB/s)",
    f"[INFO] Downloaded from central: {M2}org/some/dep/1.0/dep-1.0.jar (89 kB at 13 MB/s)",
    "[INFO] Scanning for projects...",
]
MAVEN_JARS = [
    f"[INFO] Downloading from central: {M2}org/apache/kafka/kafka-clients/9.9.9/"
    "kafka-clients-9.9.9.jar",
    f"[INFO] Downloaded from central: {M2}org/apache/kafka/kafka-clients/9.9.9/"
    "kafka-clients-9.9.9.jar (11 MB at 37 MB/s)",
    f"[INFO] Downloaded from central: {M2}org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar"
    " (41 kB at 1 MB/s)",
    f"[INFO] Downloaded from central: {M2}org/other/unexpected/1/unexpected-1.jar (4 kB at 1 MB/s)",
]


def test_maven_lines_become_counts(tmp_path: Path) -> None:
    clock = FakeClock()
    reporter, _ = log_reporter(clock)
    progress = DownloadProgress(reporter, "K")
    repo = tmp_path / "m2"
    root = Artifact("org.apache.kafka", "kafka_2.13", "9.9.9", "", "pom")
    watcher = MavenWatcher(progress, root.path, local_repo=repo)
    for line in MAVEN_LINES:
        watcher.feed(line)
    assert watcher.base == "https://repo.example/m2/"
    assert progress.poms == 1 and progress.artifacts_done == 0  # plugin jars do not count
    cached = Artifact("org.lz4", "lz4-java", "1.8.0")
    clients = Artifact("org.apache.kafka", "kafka-clients", "9.9.9")
    api = Artifact("org.slf4j", "slf4j-api", "1.7.36")
    for artifact, size in ((cached, 7), (clients, 0)):
        (repo / artifact.path).parent.mkdir(parents=True)
        if size:
            (repo / artifact.path).write_bytes(b"x" * size)
    (repo / (clients.path + ".part")).write_bytes(b"x" * 300)  # a transfer under way
    watcher.expect([cached, clients, api], sizes=False)
    assert (progress.artifacts_done, progress.artifacts_total) == (1, 3)
    assert watcher.in_flight() == 300
    (repo / (clients.path + ".part")).rename(repo / clients.path)
    for line in MAVEN_JARS:
        watcher.feed(line)
    assert (progress.artifacts_done, progress.artifacts_total) == (3, 3)
    # the exact size from the local repository where the file is, else Maven's rounded one
    assert progress.bytes_done == 300 + 41_000
    assert watcher.in_flight() == 0


def test_everything_cached_locally_has_a_zero_byte_total(tmp_path: Path) -> None:
    reporter, _ = log_reporter(FakeClock())
    progress = DownloadProgress(reporter, "K")
    artifact = Artifact("g", "a", "1")
    (tmp_path / artifact.path).parent.mkdir(parents=True)
    (tmp_path / artifact.path).write_bytes(b"jar")
    MavenWatcher(progress, "x.pom", local_repo=tmp_path).expect([artifact])
    assert (progress.artifacts_done, progress.artifacts_total, progress.bytes_total) == (1, 1, 0)


def test_local_repository_guess(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert local_repository({}) == tmp_path / ".m2" / "repository"
    env = {"MAVEN_OPTS": "-Xmx1g -Dmaven.repo.local=/opt/m2"}
    assert local_repository(env) == Path("/opt/m2")
    (tmp_path / ".m2").mkdir()
    (tmp_path / ".m2" / "settings.xml").write_text(
        "<settings><!-- <localRepository>/nope</localRepository> -->"
        "<localRepository>${user.home}/repo</localRepository></settings>"
    )
    assert local_repository({}) == tmp_path / "repo"


SMALL_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>aiokafka-gen</groupId><artifactId>progress-test</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId>
      <version>2.0.16</version></dependency>
  </dependencies>
</project>
"""


@pytest.mark.java
def test_real_download_of_a_small_artifact_reports_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slf4j-simple + slf4j-api 2.0.16 (about 80 kB; not versions Maven's plugins use)
    through the real path: Maven's tree, the copy, the transfer lines. Maven runs on a
    private local repository (never ~/.m2) kept under the harness cache so its plugins
    download once; the two artifacts are deleted from it first, so every run downloads
    them."""
    api = Artifact("org.slf4j", "slf4j-api", "2.0.16")
    simple = Artifact("org.slf4j", "slf4j-simple", "2.0.16")
    if shutil.which("mvn") is None:
        pytest.skip("no mvn on PATH")
    if remote_size(CENTRAL + api.path) is None:
        pytest.skip("Maven Central is unreachable")
    repo = cache_root() / "maven-test-repo"
    for artifact in (api, simple):
        shutil.rmtree(repo / Path(artifact.path).parent, ignore_errors=True)
    monkeypatch.setenv("MAVEN_OPTS", f"-Dmaven.repo.local={repo}")
    stream = io.StringIO()
    reporter = Reporter(stream, quiet=False, interval=0.0)
    entry = tmp_path / "entry"
    entry.mkdir()
    root = Artifact("org.slf4j", "slf4j-simple", "2.0.16", "", "pom")
    download_classpath(entry, SMALL_POM, "slf4j jars", root.path, reporter)
    assert sorted(p.name for p in (entry / "lib").iterdir()) == [api.file_name, simple.file_name]
    assert (repo / api.path).is_file()
    out = stream.getvalue()
    assert "slf4j jars: resolving dependencies with Maven" in out
    assert re.search(r"downloading 0/2 artifacts, 0 B", out), out
    assert re.search(r"downloading 2/2 artifacts, [\d.]+ kB", out), out
    assert re.search(r"slf4j jars: 2 artifacts \([\d.]+ kB\) ready in [\d.]+ s", out), out
    assert "\r" not in out
    shown = [int(float(n) * 1000) for n in re.findall(r"artifacts, ([\d.]+) kB", out)]
    assert shown == sorted(shown)  # the bytes shown only grow
