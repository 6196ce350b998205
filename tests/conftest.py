"""Suite-wide pytest setup.

The real-Kafka fixtures come from the installed plugin ``aiokafka_gen.testing.pytest_plugin``;
test-only helpers (the Java reference process) are loaded from tests/support.
"""

pytest_plugins = ["support.javaref"]
