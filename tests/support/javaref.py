"""Java reference process (Kafka's own serializers) for differential tests; fixture java_ref."""
