"""What a worker measures around its timed section: wall time, CPU time of the whole process
(all threads: librdkafka's and kafka-python's I/O threads included) plus reaped children,
and peak RSS. (The Java adapter meters its JVM itself, over the tools' own timed window:
see bench.adapters.java.)"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_kib() -> int:
    """Peak RSS of this process or of its largest reaped child, in KiB (Linux units)."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int(max(me, kids))


@dataclass
class Meter:
    """``start()`` then ``stop()``; ``seconds`` and ``cpu_seconds`` cover that window."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0
    _t0: float = field(default=0.0, repr=False)
    _c0: float = field(default=0.0, repr=False)

    def start(self) -> None:
        self._c0 = _cpu()
        self._t0 = time.perf_counter()

    def stop(self) -> None:
        self.seconds = time.perf_counter() - self._t0
        self.cpu_seconds = _cpu() - self._c0

    def result(self, messages: int, nbytes: int) -> dict[str, float]:
        """The raw counts a worker reports (see stats.derive)."""
        return {
            "messages": messages,
            "bytes": nbytes,
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "peak_rss_kib": peak_rss_kib(),
        }
