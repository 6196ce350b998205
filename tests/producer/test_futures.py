"""send()'s future factory: asyncio's Future bound to the loop, unless the loop brings its
own ``create_future`` (then that one is used)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aiokafka_gen.errors import IllegalOperation
from aiokafka_gen.producer import AIOKafkaProducer
from aiokafka_gen.producer.producer import _future_factory


class _OwnFutures(asyncio.SelectorEventLoop):
    made = 0

    def create_future(self) -> asyncio.Future[Any]:
        _OwnFutures.made += 1
        return super().create_future()


def test_a_plain_loop_gets_futures_bound_to_it() -> None:
    loop = asyncio.new_event_loop()
    try:
        make = _future_factory(loop)
        future = make()
        assert type(future) is asyncio.Future and future.get_loop() is loop
        assert make() is not future
    finally:
        loop.close()


def test_a_loop_with_its_own_create_future_keeps_it() -> None:
    loop = _OwnFutures()
    try:
        before = _OwnFutures.made
        future = _future_factory(loop)()
        assert _OwnFutures.made == before + 1 and future.get_loop() is loop
    finally:
        loop.close()


async def test_send_before_start_is_a_typed_error() -> None:
    producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1")
    with pytest.raises(IllegalOperation, match="not started"):
        await producer.send("t", b"v")
    await producer.stop()
