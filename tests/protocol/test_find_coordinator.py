"""FindCoordinator, sans-IO: one builder and parser for the client and the admin client."""

from __future__ import annotations

from aiokafka_gen.messages.errors import NotCoordinatorError
from aiokafka_gen.messages.find_coordinator_response import Coordinator, FindCoordinatorResponse

from aiokafka_gen.errors import KafkaError
from aiokafka_gen.protocol import find_coordinator


def test_batched_from_v4_one_per_key_before() -> None:
    [batched] = find_coordinator.requests(0, ["a", "b"], 4)
    assert (batched.key_type, batched.coordinator_keys) == (0, ["a", "b"])
    batched.encode(4)  # the fields are v4's
    singles = find_coordinator.requests(1, ["a", "b"], 3)
    assert [(r.key, r.key_type) for r in singles] == [("a", 1), ("b", 1)]
    for request in singles:
        request.encode(3)


def test_answers_per_key_with_typed_errors_and_missing_keys() -> None:
    response = FindCoordinatorResponse(coordinators=[
        Coordinator(key="a", node_id=2, host="h2", port=9092),
        Coordinator(key="b", node_id=-1, host="", port=-1, error_code=16, error_message="moved"),
    ])  # fmt: skip
    found = find_coordinator.answers(["a", "b", "c"], [response], 4)
    assert found["a"] == (2, "h2", 9092)
    assert isinstance(found["b"], NotCoordinatorError) and "coordinator of 'b': moved" in str(
        found["b"]
    )
    assert isinstance(found["c"], KafkaError) and "did not answer for 'c'" in str(found["c"])
    old = [FindCoordinatorResponse(node_id=1, host="h1", port=1), FindCoordinatorResponse(
        error_code=15, node_id=-1, host="", port=-1)]  # fmt: skip
    found = find_coordinator.answers(["x", "y"], old, 3)
    assert found["x"] == (1, "h1", 1) and getattr(found["y"], "errno", None) == 15
