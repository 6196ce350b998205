"""Every ```python block of the guide pages runs against the harness broker, or is marked.

The pages: docs/getting-started.md, docs/guide/*.md, docs/migration-from-kafka-python.md,
docs/migration-from-confluent-kafka.md, docs/protocol.md and docs/share-groups.md. Each
block is a whole program, run as written in a fresh interpreter, after these placeholder
swaps:

- ``127.0.0.1:9092`` -> the PLAINTEXT listener of the session's one-node cluster
  (``kafka_bootstrap``);
- ``kafka.example.com:9093`` (SSL), ``:9094`` (mTLS), ``:9095`` (SASL_PLAINTEXT),
  ``:9096`` (SASL_SSL) -> the listeners of ``kafka_secure_cluster``, and
  ``/etc/kafka/ca.pem``, ``/etc/kafka/client.pem``, ``/etc/kafka/client.key`` -> its test
  PKI (the users ``alice``/``admin`` and their passwords are the harness's own);
- a block defining ``test_*`` functions is a pytest module: it runs under pytest in a
  subprocess with ``AIOKAFKA_GEN_BOOTSTRAP`` naming the session broker (the plugin's
  external backend), so its fixtures start no second cluster.

A block that cannot run here has ``<!-- not runnable: <reason> -->`` on the line right
before its fence; it must still compile. Anything else fenced as Python must pass. The
checks of the pages themselves need no broker; running the examples is ``integration``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [
    DOCS / "getting-started.md",
    DOCS / "guide" / "producer.md",
    DOCS / "guide" / "consumer.md",
    DOCS / "guide" / "groups.md",
    DOCS / "guide" / "transactions.md",
    DOCS / "guide" / "security.md",
    DOCS / "guide" / "observability.md",
    DOCS / "guide" / "performance.md",
    DOCS / "guide" / "testing.md",
    DOCS / "migration-from-kafka-python.md",
    DOCS / "migration-from-confluent-kafka.md",
    DOCS / "protocol.md",
    DOCS / "share-groups.md",
]
FENCE = re.compile(
    r"^(?P<before>[^\n]*)\n```(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^```$", re.M | re.S
)
MARK = re.compile(r"<!--\s*not runnable:\s*(?P<reason>[^>]*?)\s*-->\s*$")
PLAIN = "127.0.0.1:9092"
SECURE_LISTENERS = {
    "kafka.example.com:9093": "SSL",
    "kafka.example.com:9094": "MTLS",
    "kafka.example.com:9095": "SASL_PLAINTEXT",
    "kafka.example.com:9096": "SASL_SSL",
}
PEM_FILES = {
    "/etc/kafka/ca.pem": "ca_pem",
    "/etc/kafka/client.pem": "client_cert_pem",
    "/etc/kafka/client.key": "client_key_pem",
}
TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    code: str
    skip_reason: str | None

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer("\n" + text):
        if match["lang"] not in ("python", "py", "python3", "pycon"):
            continue
        assert match["lang"] == "python", f"{page.name}: fence ```{match['lang']}: use ```python"
        last_line = match["before"].rsplit("\n", 1)[-1]
        mark = MARK.search(last_line)
        line = ("\n" + text)[: match.start("code")].count("\n")
        found.append(Block(page, line, match["code"], mark["reason"] if mark else None))
    return found


BLOCKS = [block for page in PAGES if page.exists() for block in _blocks(page)]
RUNNABLE = [block for block in BLOCKS if block.skip_reason is None]
MARKED = [block for block in BLOCKS if block.skip_reason is not None]


def test_every_page_exists_and_has_examples() -> None:
    for page in PAGES:
        assert page.exists(), page
    with_code = {block.page for block in BLOCKS}
    for page in PAGES:
        if page.name not in ("observability.md", "performance.md"):
            assert page in with_code, f"{page.name} has no Python example"


@pytest.mark.parametrize("block", MARKED, ids=[b.name for b in MARKED])
def test_marked_blocks_compile_and_say_why(block: Block) -> None:
    assert block.skip_reason and len(block.skip_reason) > 10, block.name
    compile(block.code, block.name, "exec")


def _substitute(block: Block, request: pytest.FixtureRequest) -> str:
    code = block.code
    if PLAIN in code:
        code = code.replace(PLAIN, request.getfixturevalue("kafka_bootstrap"))
    if any(p in code for p in (*SECURE_LISTENERS, *PEM_FILES)):
        cluster = request.getfixturevalue("kafka_secure_cluster")
        for placeholder, listener in SECURE_LISTENERS.items():
            code = code.replace(placeholder, cluster.bootstrap(listener))
        for placeholder, attribute in PEM_FILES.items():
            code = code.replace(placeholder, str(getattr(cluster.tls, attribute)))
    return code


def _run(argv: list[str], env: dict[str, str], cwd: Path, what: str) -> str:
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env, cwd=cwd
    )
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done.stdout


@pytest.mark.integration
@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_example_runs(block: Block, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    code = _substitute(block, request)
    env = dict(os.environ)
    env.pop("AIOKAFKA_GEN_BOOTSTRAP", None)
    if re.search(r"^(async )?def test_", code, re.M):
        module = tmp_path / "test_doc_example.py"
        module.write_text(code, encoding="utf-8")
        env["AIOKAFKA_GEN_BOOTSTRAP"] = request.getfixturevalue("kafka_bootstrap")
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "--rootdir", str(tmp_path), str(module)]  # fmt: skip
        out = _run(argv, env, tmp_path, block.name)
        assert " passed" in out and "failed" not in out, out
        return
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    _run([sys.executable, str(script)], env, tmp_path, block.name)
