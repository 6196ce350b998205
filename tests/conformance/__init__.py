"""Differential conformance with Kafka's Java serializers for every spec and version.

``pytest tests/conformance`` (marker ``java``) and ``python -m conformance`` (run with
``tests`` on ``sys.path``; prints one summary line last) share engine.py.
"""
