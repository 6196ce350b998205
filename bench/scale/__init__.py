"""Cost curves at scale (issue #25 item 1): ``python -m bench.scale`` / ``make bench-scale``.

``plan`` (profiles, parsing, results document, goals, markdown and charts), ``worker`` (one
measurement per process) and ``__main__`` (the broker, the topics and the parts)."""
