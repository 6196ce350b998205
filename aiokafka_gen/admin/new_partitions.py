"""aiokafka's module path ``aiokafka.admin.new_partitions``, kept for drop-in imports."""

from aiokafka_gen.admin.types import NewPartitions

__all__ = ["NewPartitions"]
