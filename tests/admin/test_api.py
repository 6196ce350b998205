"""The admin client's public surface without a broker: aiokafka 0.14 compatibility, value
types, result helpers, and what a client that was never started does."""

from __future__ import annotations

import inspect

import aiokafka.admin as peer
import pytest

from aiokafka_gen import admin as ours
from aiokafka_gen.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AIOKafkaAdminClient,
    ConfigResource,
    ConfigResourceType,
    NewPartitions,
    NewTopic,
    PatternType,
    RecordsToDelete,
    ResourceType,
)
from aiokafka_gen.admin._quotas import salted_password
from aiokafka_gen.admin.results import (
    DeletedRecords,
    GroupListing,
    GroupResult,
    operations,
    raise_for_errors,
)
from aiokafka_gen.admin.types import ScramMechanism
from aiokafka_gen.errors import (
    IllegalArgumentError,
    IllegalStateError,
    NonEmptyGroup,
    UnknownTopicOrPartitionError,
)

NEW_METHODS = [
    "alter_client_quotas", "alter_consumer_group_offsets", "alter_partition_reassignments",
    "alter_user_scram_credentials", "abort_transaction", "create_acls", "delete_acls",
    "delete_consumer_group_offsets", "delete_consumer_groups", "describe_acls",
    "describe_client_quotas", "describe_features", "describe_log_dirs",
    "describe_metadata_quorum", "describe_producers", "describe_transactions",
    "describe_user_scram_credentials", "elect_leaders", "fence_producers",
    "incremental_alter_configs", "list_offsets", "list_partition_reassignments",
    "list_transactions", "remove_members_from_consumer_group", "update_features",
]  # fmt: skip


def _public(cls: type) -> dict[str, object]:
    return {n: m for n, m in vars(cls).items() if not n.startswith("_") and callable(m)}


def _methods(cls: type) -> dict[str, object]:
    found: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        found.update(_public(klass))
    return found


def test_names_importable_like_aiokafka_admin() -> None:
    for name in peer.__all__:
        assert hasattr(ours, name), name


def test_constructor_matches_aiokafka() -> None:
    theirs = inspect.signature(peer.AIOKafkaAdminClient.__init__).parameters
    mine = inspect.signature(AIOKafkaAdminClient.__init__).parameters
    for name, param in theirs.items():
        assert name in mine, name
        if name not in ("client_id", "self"):
            assert mine[name].default == param.default, name
        assert mine[name].kind == param.kind, name


def test_every_aiokafka_method_keeps_its_arguments() -> None:
    mine = _methods(AIOKafkaAdminClient)
    for name, method in _public(peer.AIOKafkaAdminClient).items():
        assert name in mine, name
        theirs = list(inspect.signature(method).parameters.values())  # type: ignore[arg-type]
        ours_ = list(inspect.signature(mine[name]).parameters.values())  # type: ignore[arg-type]
        assert [p.name for p in ours_[: len(theirs)]] == [p.name for p in theirs], name
        for a, b in zip(theirs, ours_, strict=False):
            assert a.default == b.default, f"{name}.{a.name}"
            assert a.kind == b.kind, f"{name}.{a.name}"
        for extra in ours_[len(theirs) :]:  # additions never shift aiokafka's positions
            assert extra.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}.{extra.name}"
            assert extra.default is not inspect.Parameter.empty, f"{name}.{extra.name}"


def test_migration_guide_covers_every_aiokafka_method() -> None:
    from pathlib import Path

    guide = Path(__file__).resolve().parents[2] / "docs" / "migration-from-aiokafka.md"
    text = guide.read_text()
    for name in _public(peer.AIOKafkaAdminClient):
        assert f"admin.{name}(" in text, name
    assert "## Producer, consumer and errors" in text


def test_the_whole_surface_exists_and_is_documented() -> None:
    mine = _methods(AIOKafkaAdminClient)
    for name in NEW_METHODS:
        assert name in mine, name
    for name, method in mine.items():
        assert inspect.getdoc(method), name


def test_new_topic_needs_counts_or_assignments() -> None:
    assert NewTopic("t", 3, 1).replica_assignments == {}
    assert NewTopic("t", -1, -1, replica_assignments={0: [1]}).num_partitions == -1
    with pytest.raises(IllegalArgumentError):  # aiokafka's error, also a ValueError
        NewTopic("t", 3, 1, replica_assignments={0: [1]})
    with pytest.raises(ValueError):
        NewTopic("t", -1, -1)
    assert NewPartitions(4).new_assignments is None and RecordsToDelete(5).before_offset == 5


def test_config_resource_is_a_key_by_type_and_name() -> None:
    a = ConfigResource("topic", "t", {"retention.ms": "1"})
    b = ConfigResource(ConfigResourceType.TOPIC, "t")
    assert a == b and hash(a) == hash(b) and {a: 1}[b] == 1
    assert ConfigResource(4, 1).name == "1" and ConfigResource("BROKER", "1") != a


def test_acl_filter_matching() -> None:
    acl = AclBinding(ResourceType.TOPIC, "t", "User:a", AclOperation.READ)
    assert AclBindingFilter().matches(acl)
    assert AclBindingFilter(ResourceType.TOPIC, "t", "User:a").matches(acl)
    assert not AclBindingFilter(resource_name="u").matches(acl)
    assert not AclBindingFilter(pattern_type=PatternType.PREFIXED).matches(acl)


def test_operations_bits() -> None:
    assert operations(-(2**31)) is None
    assert operations((1 << 3) | (1 << 8)) == {AclOperation.READ, AclOperation.DESCRIBE}


def test_raise_for_errors_keeps_every_result() -> None:
    first, second = NonEmptyGroup("g1"), UnknownTopicOrPartitionError("g3")
    results = {
        "g1": GroupResult("g1", first),
        "g2": GroupResult("g2"),
        "g3": GroupResult("g3", second),
    }
    with pytest.raises(NonEmptyGroup) as caught:
        raise_for_errors(results)
    assert caught.value is first
    assert caught.value.results == results  # type: ignore[attr-defined]
    assert caught.value.errors == {"g1": first, "g3": second}  # type: ignore[attr-defined]
    ok = {"g2": GroupResult("g2")}
    assert raise_for_errors(ok) is ok


def test_results_that_are_aiokafkas_tuples_and_ints() -> None:
    import copy
    import pickle

    listing = GroupListing("g", "consumer", "Stable", "classic")
    assert listing == ("g", "consumer") and hash(listing) == hash(("g", "consumer"))
    assert listing[:] == ("g", "consumer") and len(listing) == 2
    assert listing != GroupListing("g", "consumer", "Empty", "classic")
    assert pickle.loads(pickle.dumps(listing)) == listing
    assert copy.deepcopy(listing).state == "Stable"
    with pytest.raises(AttributeError):
        listing.state = "Dead"
    deleted = DeletedRecords("t", 0, 7)
    assert deleted == 7 and deleted + 1 == 8 and str(deleted) == "7" and f"{deleted:>2}" == " 7"
    assert deleted != DeletedRecords("t", 1, 7) and deleted.low_watermark == 7
    assert pickle.loads(pickle.dumps(deleted)) == deleted and "partition=0" in repr(deleted)
    with pytest.raises(AttributeError):
        deleted.error = None


def test_salted_password_is_scram_hi() -> None:
    # RFC 7677's SCRAM-SHA-256 example: password "pencil", 4096 iterations.
    import base64
    import hashlib
    import hmac

    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    salted = salted_password(ScramMechanism.SCRAM_SHA_256, "pencil", salt, 4096)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored = hashlib.sha256(client_key).digest()
    assert base64.b64encode(stored) == b"WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="


async def test_calls_before_start_and_after_close_are_refused() -> None:
    client = AIOKafkaAdminClient(bootstrap_servers="127.0.0.1:1")
    with pytest.raises(IllegalStateError):
        await client.list_topics()
    await client.close()
    await client.close()  # idempotent
    with pytest.raises(IllegalStateError):
        await client.describe_cluster()
    assert "closed" in repr(client)


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("config_resource", ["ConfigResource", "ConfigResourceType"]),
        ("new_topic", ["NewTopic"]),
        ("new_partitions", ["NewPartitions"]),
        ("records_to_delete", ["RecordsToDelete"]),
        ("client", ["AIOKafkaAdminClient"]),
    ],
)
def test_aiokafka_module_paths(module: str, names: list[str]) -> None:
    import importlib

    theirs = importlib.import_module(f"aiokafka.admin.{module}")
    mine = importlib.import_module(f"aiokafka_gen.admin.{module}")
    for name in names:
        assert hasattr(theirs, name) and hasattr(mine, name), name
    if module == "config_resource":  # every type aiokafka knows, with the same number
        theirs_types = {t.name: t.value for t in theirs.ConfigResourceType}
        mine_types = {t.name: t.value for t in mine.ConfigResourceType}
        assert theirs_types.items() <= mine_types.items()
