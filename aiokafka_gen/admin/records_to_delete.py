"""aiokafka's module path ``aiokafka.admin.records_to_delete``, kept for drop-in imports."""

from aiokafka_gen.admin.types import RecordsToDelete

__all__ = ["RecordsToDelete"]
