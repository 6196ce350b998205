"""Every setting is pinned for every client: each adapter maps every logical name (or says
it has no such option), and the generated configs carry the pinned values."""

from __future__ import annotations

import importlib

import pytest

from bench.adapters import CLIENTS, EXTRA_CLIENTS, client
from bench.adapters._settings import CONSUMER_LOGICAL, PRODUCER_LOGICAL
from bench.matrix import MIB, PINNED, Variant

MODULES = sorted({c.module for c in CLIENTS + EXTRA_CLIENTS})


@pytest.mark.parametrize("module", MODULES)
def test_tables_cover_every_logical_setting(module: str) -> None:
    adapter = importlib.import_module(f"bench.adapters.{module}")
    assert set(adapter.PRODUCER_TABLE) == set(PRODUCER_LOGICAL)
    assert set(adapter.CONSUMER_TABLE) == set(CONSUMER_LOGICAL)


@pytest.mark.parametrize("module", MODULES)
def test_configs_carry_scenario_axes(module: str) -> None:
    adapter = importlib.import_module(f"bench.adapters.{module}")
    variant = Variant("produce", 10, acks="all", linger_ms=5, batch_bytes=MIB, compression="lz4")
    config = adapter.producer_config(variant, dict(PINNED))
    table = adapter.PRODUCER_TABLE
    assert str(config[table["acks"]]) in ("all", "-1")
    assert int(config[table["linger_ms"]]) == 5
    assert int(config[table["batch_bytes"]]) == MIB
    assert config[table["compression"]] == "lz4"
    assert str(config[table["enable_idempotence"]]).lower() == "false"


@pytest.mark.parametrize("module", MODULES)
def test_consumer_configs_pin_fetch_settings(module: str) -> None:
    adapter = importlib.import_module(f"bench.adapters.{module}")
    config = adapter.consumer_config(Variant("consume", 10), dict(PINNED))
    table = adapter.CONSUMER_TABLE
    for name in ("fetch_max_wait_ms", "fetch_min_bytes", "max_partition_fetch_bytes"):
        assert int(config[table[name]]) == PINNED[name]
    assert config[table["auto_offset_reset"]] == "earliest"
    assert str(config[table["enable_auto_commit"]]).lower() == "false"


def test_no_compression_is_spelled_per_client() -> None:
    plain = Variant("produce", 10)
    java = importlib.import_module("bench.adapters.java")
    confluent = importlib.import_module("bench.adapters.confluent")
    aiokafka = importlib.import_module("bench.adapters.aiokafka_api")
    assert java.producer_config(plain, dict(PINNED))["compression.type"] == "none"
    assert confluent.producer_config(plain, dict(PINNED))["compression.type"] == "none"
    assert aiokafka.producer_config(plain, dict(PINNED))["compression_type"] is None
    assert aiokafka.producer_config(plain, dict(PINNED))["acks"] == 1


def test_confluent_batches_close_on_bytes() -> None:
    confluent = importlib.import_module("bench.adapters.confluent")
    config = confluent.producer_config(Variant("produce", 10, batch_bytes=MIB), dict(PINNED))
    assert config["batch.num.messages"] >= MIB // 100


def test_client_capabilities() -> None:
    java = client("java")
    assert java.supports(Variant("consume", 1, mode="batch"))
    assert not java.supports(Variant("consume", 1, mode="iter"))
    assert not java.supports(Variant("latency", 1))
    assert client("aiokafka").supports(Variant("pipeline", 1))
    assert client("aiokafka-pure").env == {"AIOKAFKA_NO_EXTENSIONS": "1"}
    with pytest.raises(ValueError):
        client("nope")
