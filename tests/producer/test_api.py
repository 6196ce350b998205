"""The producer's public surface matches aiokafka 0.14's: constructor names and defaults,
method names, and the shape of create_batch()'s builder (read from the installed peer)."""

from __future__ import annotations

import inspect

import pytest

from aiokafka_gen.producer import AIOKafkaProducer

aiokafka = pytest.importorskip("aiokafka")
DIFFERENT_SENTINELS = {"acks", "partitioner", "api_version", "loop"}


def test_constructor_parameters_and_defaults_match() -> None:
    ours = inspect.signature(AIOKafkaProducer).parameters
    theirs = inspect.signature(aiokafka.AIOKafkaProducer).parameters
    for name, param in theirs.items():
        assert name in ours, name
        assert ours[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        if name not in DIFFERENT_SENTINELS:
            assert ours[name].default == param.default, name


def test_methods_match() -> None:
    wanted = {
        name for name, value in vars(aiokafka.AIOKafkaProducer).items()
        if not name.startswith("_") and callable(value)
    }  # fmt: skip
    assert wanted <= set(dir(AIOKafkaProducer))
    for name in ("send", "send_and_wait"):
        ours = list(inspect.signature(getattr(AIOKafkaProducer, name)).parameters)
        theirs = list(inspect.signature(getattr(aiokafka.AIOKafkaProducer, name)).parameters)
        assert ours == theirs


def test_create_batch_without_start() -> None:
    batch = AIOKafkaProducer(max_batch_size=200).create_batch()
    meta = batch.append(timestamp=1000, key=b"k", value=b"v", headers=[("h", b"1")])
    assert meta is not None and meta.offset == 0 and meta.timestamp == 1000
    while batch.append(timestamp=None, key=None, value=b"x" * 20) is not None:
        pass
    assert batch.size() <= 200 and batch.record_count() > 1
