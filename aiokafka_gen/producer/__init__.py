"""The producer: ``AIOKafkaProducer`` and its parts (partitioner, accumulator, sender,
idempotence, transactions). See producer.py for the data flow of a send.
This package's ``__init__`` only re-exports; it must not start anything at import.
"""

from aiokafka_gen.producer.batch import BatchBuilder
from aiokafka_gen.producer.partitioner import DefaultPartitioner, murmur2
from aiokafka_gen.producer.producer import AIOKafkaProducer, TransactionContext

__all__ = [
    "AIOKafkaProducer",
    "BatchBuilder",
    "DefaultPartitioner",
    "TransactionContext",
    "murmur2",
]
