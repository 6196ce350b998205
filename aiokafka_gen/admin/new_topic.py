"""aiokafka's module path ``aiokafka.admin.new_topic``, kept for drop-in imports."""

from aiokafka_gen.admin.types import NewTopic

__all__ = ["NewTopic"]
