"""aiokafka_gen: an asyncio Apache Kafka client generated from Kafka's own message specs.

The public API mirrors aiokafka's. Heavy modules (generated messages, codecs,
pydantic) are imported lazily so that ``import aiokafka_gen`` stays fast.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
