"""Real-Kafka test harness."""
