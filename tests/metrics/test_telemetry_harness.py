"""The harness option the KIP-714 broker tests need: ``KafkaCluster(extra_classpath=...)``
puts a test's compiled plugin on every broker JVM's classpath (jvm backend only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiokafka_gen.testing import KafkaCluster
from aiokafka_gen.testing._config import ClusterSpec
from aiokafka_gen.testing._docker import ContainerBackend
from aiokafka_gen.testing._errors import BackendUnavailableError
from aiokafka_gen.testing._external import ExternalBackend
from aiokafka_gen.testing._process import JavaRuntime


def test_extra_classpath_is_appended_and_skips_the_shared_class_archives(tmp_path: Path) -> None:
    plain = JavaRuntime("4.4.0", tmp_path / "lib", tmp_path, java="java")
    extra = JavaRuntime(
        "4.4.0", tmp_path / "lib", tmp_path, java="java", extra_classpath=("/p/classes", "/p/x.jar")
    )
    argv = extra.command("Kafka", ["server.properties"], broker=True)
    classpath = argv[argv.index("-cp") + 1]
    assert classpath == os.pathsep.join([f"{tmp_path / 'lib'}/*", "/p/classes", "/p/x.jar"])
    plain_argv = plain.command("Kafka", [], broker=True)
    assert plain_argv[plain_argv.index("-cp") + 1] == f"{tmp_path / 'lib'}/*"
    assert extra.cds_flags("broker") == ([], None)


def test_cluster_passes_it_to_the_spec() -> None:
    cluster = KafkaCluster(extra_classpath=[Path("/p/classes")], backend="jvm")
    assert cluster.spec.extra_classpath == ("/p/classes",)
    assert KafkaCluster(backend="jvm").spec.extra_classpath == ()


def test_backends_that_cannot_add_a_classpath_refuse() -> None:
    spec = ClusterSpec("4.4.0", extra_classpath=("/p/classes",))
    with pytest.raises(BackendUnavailableError, match="classpath"):
        ContainerBackend(spec, startup_timeout=1)
    with pytest.raises(BackendUnavailableError, match="classpath"):
        ExternalBackend(spec, "127.0.0.1:9092")
