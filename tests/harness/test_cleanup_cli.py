"""Integration: the harness leaves nothing behind, through the plugin, the CLI and the demo.

Each test runs the real entry point in a subprocess (a tiny pytest session using the
plugin, ``python -m aiokafka_gen.testing``, ``python -m aiokafka_gen.demo``) and then checks
that no JVM of that cluster is alive and its temp dir is gone.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing._state import load_state, pid_alive

pytestmark = pytest.mark.integration

TINY_SESSION = """
import json, os
import pytest

@pytest.mark.integration
def test_records_the_cluster(kafka_cluster, kafka_bootstrap):
    info = {"root": str(kafka_cluster.data_dir), "pids": [n.pid for n in kafka_cluster.nodes]}
    with open(os.environ["HARNESS_OUT"], "w") as out:
        json.dump(info, out)

def test_fails_on_purpose(kafka_cluster):
    assert kafka_cluster.list_topics() == ["no-such-topic"]
"""


def _java_processes_mentioning(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and pid_alive(int(entry.name), marker):
            found.append(int(entry.name))
    return found


def test_plugin_session_cleans_up_and_reports_logs(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(TINY_SESSION)
    env = os.environ | {"HARNESS_OUT": str(tmp_path / "out.json")}
    env.pop("AIOKAFKA_GEN_BOOTSTRAP", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--strict-markers", "-p", "no:cacheprovider",
         "test_tiny.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # exactly the deliberate failure
    assert "1 failed, 1 passed" in output
    assert "Kafka 4.4.0 broker log node-1" in output  # log tail attached to the failure
    assert "Kafka Server started" in output
    info = json.loads((tmp_path / "out.json").read_text())
    assert info["root"].startswith("/") and not Path(info["root"]).exists()
    assert not any(pid_alive(pid, info["root"]) for pid in info["pids"])
    assert _java_processes_mentioning(info["root"]) == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "aiokafka_gen.testing", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=180)


def test_cli_detached_up_status_down() -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    up = _cli("up", "--detach", "--name", name, "--security", "sasl_ssl")
    try:
        assert up.returncode == 0, up.stderr
        assert "started 1 node(s) in" in up.stdout and "SASL user alice" in up.stdout
        state = load_state(name)
        assert state is not None and state["bootstrap"]["SASL_SSL"] in up.stdout
        node = state["nodes"][0]
        assert pid_alive(node["pid"], node["dir"])
        status = _cli("status", "--name", name)
        assert status.returncode == 0 and f"pid {node['pid']}: running" in status.stdout
    finally:
        down = _cli("down", "--name", name)
    assert down.returncode == 0
    assert not pid_alive(node["pid"], node["dir"]) and not Path(state["root"]).exists()
    assert _cli("status", "--name", name).returncode == 1


def test_cli_foreground_stops_on_ctrl_c() -> None:
    argv = [sys.executable, "-u", "-m", "aiokafka_gen.testing", "up"]
    lines = []
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("up; Ctrl-C"):
                    break
            root = next(line.split()[-1] for line in lines if "data + logs" in line)
            assert any(line.startswith("started 1 node(s) in") for line in lines), lines
            proc.send_signal(signal.SIGINT)
            rest, _ = proc.communicate(timeout=60)
        finally:
            proc.kill()
    assert proc.returncode == 0 and "stopped" in rest
    assert not Path(root).exists() and _java_processes_mentioning(root) == []


def test_demo_runs_end_to_end() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aiokafka_gen.demo"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Kafka is up" in done.stdout and "cluster id " in done.stdout
    assert "topics on the broker: ['aiokafka-gen-demo']" in done.stdout
    assert "topic 'aiokafka-gen-demo': partitions [0, 1, 2]" in done.stdout
    assert "'Metadata': 13" in done.stdout  # negotiated by our client with the 4.4 broker
    assert "10 records acknowledged" in done.stdout
    assert "AIOKafkaConsumer: consumed all 10: hello 0, hello 1, hello 2" in done.stdout
    assert "group 'aiokafka-gen-demo-group' stable" in done.stdout and "lag 0" in done.stdout
    assert "Kafka's ConsoleConsumer read all 10: key-0=hello 0" in done.stdout


OWNER = """
import sys
import time
from aiokafka_gen.testing import KafkaCluster
cluster = KafkaCluster().start()
print(cluster.data_dir, cluster.node(1).pid, flush=True)
sys.stdin.read()
"""


# The node is restarted from a short-lived worker thread (as asyncio.to_thread does in
# fault tests): PR_SET_PDEATHSIG follows the starting thread, so the restart must still
# leave a JVM that dies with its owner process, not with the thread.
OWNER_RESTARTING_FROM_A_THREAD = """
import sys
import threading
from aiokafka_gen.testing import KafkaCluster
cluster = KafkaCluster().start()
cluster.node(1).kill()
worker = threading.Thread(target=cluster.start_node, args=(1,))
worker.start()
worker.join()
print(cluster.data_dir, cluster.node(1).pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("owner", [OWNER, OWNER_RESTARTING_FROM_A_THREAD], ids=["main", "thread"])
def test_sigkilled_owner_leaves_no_jvm_and_its_dir_is_swept(owner: str) -> None:
    from aiokafka_gen.testing._jvm import sweep_stale_dirs

    argv = [sys.executable, "-c", owner]
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as owner:
        assert owner.stdout is not None
        root, pid = owner.stdout.readline().split()
        assert pid_alive(int(pid), root)
        owner.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while pid_alive(int(pid), root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(int(pid), root)  # PR_SET_PDEATHSIG took the JVM down with its owner
    assert Path(root).exists()
    assert Path(root) in sweep_stale_dirs()
    assert not Path(root).exists()


def test_a_broker_that_is_not_ready_in_time_fails_clearly_and_cleans_up() -> None:
    from aiokafka_gen.testing import ClusterStartError, KafkaCluster

    cluster = KafkaCluster(startup_timeout=0.5)
    with pytest.raises(ClusterStartError) as caught:
        cluster.start()
    message = str(caught.value)
    assert "node 1 not ready after" in message and "last lines:" in message
    log = re.search(r"log (/\S+/node-1/broker\.log)", message)
    assert log is not None
    root = str(Path(log.group(1)).parent.parent)
    assert not cluster.started and not Path(root).exists()
    assert _java_processes_mentioning(root) == []


EXTERNAL_SESSION = """
def test_uses_the_external_cluster(kafka_cluster, kafka_topic):
    assert kafka_cluster.backend_name == "external"
    assert kafka_cluster.nodes == [] and kafka_cluster.data_dir is None
    print("TOPIC", kafka_topic(2))

def test_secure_needs_our_own_broker(kafka_secure_cluster):
    raise AssertionError("unreachable: skipped for the external backend")
"""


def test_external_backend_session(tmp_path: Path, kafka_cluster: KafkaCluster) -> None:
    (tmp_path / "test_ext.py").write_text(EXTERNAL_SESSION)
    env = os.environ | {"AIOKAFKA_GEN_BOOTSTRAP": kafka_cluster.bootstrap()}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-rs", "-p", "no:cacheprovider",
         "test_ext.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "1 passed, 1 skipped" in output, output
    assert "only the one PLAINTEXT cluster" in output
    topic = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("TOPIC"))
    assert topic in kafka_cluster.list_topics()  # created on our broker through the env var
