"""Partition assignors for the classic group protocol (aiokafka's module paths)."""

from .abstract import AbstractPartitionAssignor
from .cooperative_sticky import CooperativeStickyAssignor
from .range import RangePartitionAssignor
from .roundrobin import RoundRobinPartitionAssignor
from .sticky import StickyPartitionAssignor

__all__ = [
    "AbstractPartitionAssignor",
    "CooperativeStickyAssignor",
    "RangePartitionAssignor",
    "RoundRobinPartitionAssignor",
    "StickyPartitionAssignor",
]
