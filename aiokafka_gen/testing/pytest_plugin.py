"""pytest plugin: session-scoped real-Kafka fixtures (see aiokafka_gen.testing)."""
