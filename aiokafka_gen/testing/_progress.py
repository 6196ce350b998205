"""Progress on stderr for the harness's slow first steps: the Maven download and the JVM start.

Theory of operation: a ``Reporter`` owns one status line on a stream (stderr by default,
looked up when the reporter is made, so pytest's capture gets it). On a terminal the line
redraws in place (carriage return + erase to end of line, cut to the terminal width so it
never wraps) and a ``live`` ticker thread redraws it a few times a second, so a spinner and
an elapsed counter move even while nothing else happens. Not on a terminal (CI logs, pytest
capture, a pipe) there is no redrawing: ``status`` writes a line at most every ``interval``
seconds and ``line`` writes the lines that matter (start, done), so a log never floods.
``AIOKAFKA_GEN_QUIET=1`` (or ``quiet=True``) silences all of it; errors still raise.

``DownloadProgress`` counts artifacts and bytes (either total may be unknown) and renders
them; ``_jars`` feeds it from Maven's output. ``waiting`` is the status of a wait without
counters (the broker start). Stdlib only, and imported only when a cluster starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["QUIET_ENV", "DownloadProgress", "Reporter", "format_bytes", "quiet_from_env", "waiting"]

QUIET_ENV = "AIOKAFKA_GEN_QUIET"
_SPINNER = "|/-\\"
_BAR_WIDTH = 24
_FALSY = ("", "0", "false", "no", "off")


def quiet_from_env(environ: dict[str, str] | None = None) -> bool:
    """Is ``AIOKAFKA_GEN_QUIET`` set to something other than empty/0/false/no/off?"""
    value = (os.environ if environ is None else environ).get(QUIET_ENV, "")
    return value.strip().lower() not in _FALSY


def format_bytes(count: int) -> str:
    """``512 B``, ``41.1 kB``, ``11.2 MB`` (decimal units, as Maven prints them)."""
    if count < 1000:
        return f"{count} B"
    value = float(count)
    for unit in ("kB", "MB"):
        value /= 1000.0
        if value < 999.95:
            return f"{value:.1f} {unit}"
    return f"{value / 1000.0:.1f} GB"


def _is_tty(stream: TextIO) -> bool:
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


class Reporter:
    """One status line on ``stream``; see the module docstring for TTY vs log behaviour."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool | None = None,
        tty: bool | None = None,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream: TextIO = sys.stderr if stream is None else stream
        self.quiet = quiet_from_env() if quiet is None else quiet
        self.tty = _is_tty(self.stream) if tty is None else tty
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._shown = False  # a transient line is on screen (TTY)
        self._last_line_at: float | None = None  # when status last wrote a line (not TTY)
        self._last_text = ""

    def line(self, text: str) -> None:
        """A permanent line (replaces the status line on a terminal)."""
        if self.quiet:
            return
        with self._lock:
            prefix = "\r\x1b[K" if self._shown else ""
            self._shown = False
            self._write(f"{prefix}{text}\n")

    def status(self, text: str, *, force: bool = False) -> None:
        """The current state: redrawn in place on a terminal; elsewhere written as a line
        when ``interval`` seconds passed since the last one (or ``force``) and it changed."""
        if self.quiet:
            return
        with self._lock:
            if self.tty:
                self._shown = True
                self._write(f"\r{self._fit(text)}\x1b[K")
                return
            now = self.clock()
            due = self._last_line_at is None or now - self._last_line_at >= self.interval
            if (due or force) and text != self._last_text:
                self._last_line_at = now
                self._last_text = text
                self._write(text + "\n")

    def clear(self) -> None:
        """Erase the status line (terminal only)."""
        if self.quiet or not self.tty:
            return
        with self._lock:
            if self._shown:
                self._shown = False
                self._write("\r\x1b[K")

    @contextlib.contextmanager
    def live(
        self, render: Callable[[float], str], *, period: float = 0.2, heartbeat: bool = False
    ) -> Iterator[None]:
        """On a terminal, redraw ``render(elapsed seconds)`` every ``period`` seconds until
        the block ends (the status line is then erased). Elsewhere, with ``heartbeat``, offer
        ``status`` a line every ``interval`` seconds (it writes one when the text changed);
        without, do nothing."""
        if self.quiet or not (self.tty or heartbeat):
            yield
            return
        stop = threading.Event()
        began = self.clock()
        pause = period if self.tty else self.interval

        def tick() -> None:
            while not stop.wait(pause):
                self.status(render(self.clock() - began))

        ticker = threading.Thread(target=tick, name="aiokafka-gen-progress", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()
            self.clear()

    def _fit(self, text: str) -> str:
        width = shutil.get_terminal_size((80, 24)).columns - 1
        return text if len(text) <= width else text[: max(width - 3, 0)] + "..."

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream must never fail a download or a start


def spinner(elapsed: float) -> str:
    """One frame of ``| / - \\``, turning five frames a second."""
    return _SPINNER[round(elapsed * 5) % len(_SPINNER)]


class DownloadProgress:
    """Artifacts and bytes done of their totals (None while unknown), rendered as one line.

    Thread-safe: Maven's output and the size look-ups update it from different threads.
    """

    def __init__(self, reporter: Reporter, what: str) -> None:
        self.reporter = reporter
        self.what = what
        self.phase = "resolving"
        self.poms = 0
        self.artifacts_done = 0
        self.artifacts_total: int | None = None
        self.bytes_done = 0
        self.bytes_total: int | None = None
        self.in_flight: Callable[[], int] | None = None  # bytes of unfinished transfers
        self._closed = False
        self._high_water = 0
        self._lock = threading.Lock()
        self._began = reporter.clock()

    @property
    def elapsed(self) -> float:
        return self.reporter.clock() - self._began

    def pom_fetched(self) -> None:
        with self._lock:
            self.poms += 1
        self._changed()

    def expect(self, artifacts: int, cached: int = 0) -> None:
        """Start the download phase: ``artifacts`` in all, ``cached`` already local."""
        with self._lock:
            self.phase = "downloading"
            self.artifacts_total = artifacts
            self.artifacts_done = cached
        self._changed(force=True)

    def add_expected(self, artifacts: int) -> None:
        with self._lock:
            self.artifacts_total = (self.artifacts_total or 0) + artifacts
        self._changed()

    def set_bytes_total(self, total: int | None) -> None:
        with self._lock:
            self.bytes_total = total
        self._changed()

    def artifact_done(self, size: int) -> None:
        with self._lock:
            self.phase = "downloading"
            self.artifacts_done += 1
            self.bytes_done += size
        self._changed()

    def render(self, elapsed: float | None = None) -> str:
        with self._lock:
            return self._render(self.elapsed if elapsed is None else elapsed)

    def _render(self, elapsed: float) -> str:
        clock = f"{elapsed:.0f} s"
        if self.phase == "resolving":
            head = f"{self.what}: resolving dependencies with Maven"
            body = f", {self.poms} POMs" if self.poms else ""
            return self._decorate(f"{head}{body} ({clock})", None, elapsed)
        got = self._bytes_now()
        counts = self._counts(got)
        return self._decorate(
            f"{self.what}: downloading {counts} ({clock})", self._fraction(got), elapsed
        )

    def _counts(self, got_bytes: int) -> str:
        artifacts = f"{self.artifacts_done}"
        if self.artifacts_total is not None:
            artifacts += f"/{self.artifacts_total}"
        got = format_bytes(got_bytes)
        if self.bytes_total is not None:
            got += f"/{format_bytes(self.bytes_total)}"
        return f"{artifacts} artifacts, {got}"

    def _bytes_now(self) -> int:
        """Done plus in flight, never less than shown before (a finished file leaves the
        in-flight count a moment before Maven's line counts it done) nor above the total."""
        extra = 0
        if self.in_flight is not None:
            try:
                extra = self.in_flight()
            except Exception:  # display only: a failing probe counts nothing
                extra = 0
        now = max(self.bytes_done + extra, self._high_water)
        if self.bytes_total is not None:
            now = min(now, max(self.bytes_total, self.bytes_done))
        self._high_water = now
        return now

    def _fraction(self, got_bytes: int) -> float | None:
        if self.bytes_total:
            return min(got_bytes / self.bytes_total, 1.0)
        if self.artifacts_total:
            return min(self.artifacts_done / self.artifacts_total, 1.0)
        return None

    def _decorate(self, text: str, fraction: float | None, elapsed: float) -> str:
        if not self.reporter.tty:
            return text
        if fraction is None:
            return f"{spinner(elapsed)} {text}"
        filled = round(fraction * _BAR_WIDTH)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        return f"{spinner(elapsed)} [{bar}] {int(fraction * 100):3d}% {text}"

    def _changed(self, *, force: bool = False) -> None:
        if self.reporter.tty or self._closed:
            return  # the live ticker redraws; after finish/fail nothing more
        self.reporter.status(self.render(), force=force)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """The first line at once, the ticker on a terminal while the block runs."""
        self.reporter.status(self.render(0.0), force=True)
        with self.reporter.live(lambda elapsed: self.render(elapsed), heartbeat=True):
            yield

    def finish(self, artifacts: int, size: int, where: str) -> None:
        self._closed = True
        self.reporter.line(
            f"{self.what}: {artifacts} artifacts ({format_bytes(size)}) ready in "
            f"{self.elapsed:.1f} s, cached in {where}"
        )

    def fail(self) -> None:
        self._closed = True
        self.reporter.line(f"{self.what}: download failed after {self.elapsed:.1f} s")


@contextlib.contextmanager
def waiting(
    reporter: Reporter, what: str, *, doing: str = "waiting", done: str = "ready"
) -> Iterator[None]:
    """``<what>: <doing> ...`` while the block runs (with a spinner and elapsed seconds on
    a terminal; one line at the start elsewhere), then ``<what>: <done> in N s`` or
    ``<what>: failed after N s``. Nothing in between off a terminal."""
    began = reporter.clock()
    if not reporter.tty:
        reporter.line(f"{what}: {doing} ...")

    def render(elapsed: float) -> str:
        return f"{spinner(elapsed)} {what}: {doing} ... {elapsed:.0f} s"

    try:
        if reporter.tty:
            reporter.status(render(0.0))
        with reporter.live(render):
            yield
    except BaseException:
        reporter.line(f"{what}: failed after {reporter.clock() - began:.1f} s")
        raise
    reporter.line(f"{what}: {done} in {reporter.clock() - began:.1f} s")
