"""Property round trips for EVERY generated (spec, version): encode -> decode -> equal and
re-encode -> same bytes. Examples cover extreme ints, unicode, empty vs null, unknown tags.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiokafka_gen.protocol import Message
from messages.schema import all_pairs, filled, message_strategy, pair_id

PAIRS = all_pairs()


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
@given(data=st.data())
def test_roundtrip(pair: tuple[type[Message], int], data: Any) -> None:
    cls, version = pair
    obj = data.draw(message_strategy(cls, version))
    encoded = obj.encode(version)
    decoded, end = cls.decode_from(encoded, version)
    assert end == len(encoded)
    assert decoded == obj
    assert decoded.encode(version) == encoded


@pytest.mark.parametrize("pair", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_filled_roundtrip_and_offset(pair: tuple[type[Message], int]) -> None:
    cls, version = pair
    obj = filled(cls, version)
    encoded = obj.encode(version)
    assert cls.decode(encoded, version) == obj
    # decode_from at an offset inside a larger buffer, trailing bytes left alone
    decoded, end = cls.decode_from(b"\x99" * 3 + encoded + b"\x77", version, 3)
    assert decoded == obj
    assert end == 3 + len(encoded)
