"""Benchmarks: aiokafka_gen side by side with its peers (results as tables and JSON)."""
