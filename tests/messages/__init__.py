"""Tests of the generated Kafka messages (aiokafka_gen.messages), driven by their schemas."""
