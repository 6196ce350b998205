"""The sticky assignor (KIP-54), at aiokafka's path ``...assignors.sticky.sticky_assignor``.

Re-exported here so ``from aiokafka_gen.coordinator.assignors.sticky import
StickyPartitionAssignor`` (and the user-data helpers) keep working.
"""

from .sticky_assignor import StickyPartitionAssignor, decode_user_data, encode_user_data

__all__ = ["StickyPartitionAssignor", "decode_user_data", "encode_user_data"]
