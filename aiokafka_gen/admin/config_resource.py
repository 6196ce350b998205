"""aiokafka's module path ``aiokafka.admin.config_resource``, kept for drop-in imports."""

from aiokafka_gen.admin.types import ConfigResource, ConfigResourceType

__all__ = ["ConfigResource", "ConfigResourceType"]
