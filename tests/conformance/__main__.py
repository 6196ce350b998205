"""``python -m conformance`` (with tests/ on sys.path): the whole differential run, one line last.

Starts one KafkaRef JVM, checks Java's message listing and header-version rules, then every
(message, version) pair with CONFORMANCE_EXAMPLES random examples (default 20), printing
each mismatch as it is found. The last line of output is always

    conformance: <P> api-version pairs, <E> examples, <M> mismatches

P counts the pairs checked, E the random examples, M every disagreement (examples, refusals,
header versions, listing, and each spec pair left unchecked). Exit status 1 unless M == 0.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from support.javaref import JavaRef

from conformance.engine import (
    Conformance,
    Pair,
    Tally,
    all_pairs,
    examples_per_pair,
    seed_from_env,
)
from conformance.spec_pairs import expected_pairs

SHOWN_PER_PAIR = 3


def coverage_problems(pairs: list[Pair]) -> list[str]:
    """Each spec pair not checked, and each checked pair no spec defines, is a mismatch."""
    checked = {(p.cls.NAME, p.version, p.direction) for p in pairs}
    expected = expected_pairs()
    missing = [f"spec pair not checked: {n} v{v} ({k})" for n, v, k in sorted(expected - checked)]
    extra = [
        f"pair checked but not in specs: {n} v{v} ({k})" for n, v, k in sorted(checked - expected)
    ]
    return missing + extra


def run(say: Callable[[str], None]) -> Tally:
    """Run everything, telling ``say`` each problem as found; return the totals."""
    examples, seed = examples_per_pair(), seed_from_env()
    pairs = all_pairs()
    tally = Tally()
    java = JavaRef().start()
    try:
        checker = Conformance(java, seed)
        problems = coverage_problems(pairs) + checker.check_index()
        problems += checker.check_header_versions()
        tally.mismatches += len(problems)
        for problem in problems:
            say(problem)
        for pair in pairs:
            result = checker.check_pair(pair, examples)
            tally.add(result)
            for problem in result.mismatches[:SHOWN_PER_PAIR]:
                say(problem)
    finally:
        java.close()
    say(f"seed {seed!r}, {examples} examples per pair")
    return tally


def main() -> int:
    started = time.monotonic()
    tally = run(lambda line: print(line, flush=True))
    print(f"took {time.monotonic() - started:.1f} s")
    print(tally.line())
    return 0 if tally.mismatches == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
