"""``python -m aiokafka_gen``: the ``aiokafka-gen`` command line (aiokafka_gen.cli)."""

from aiokafka_gen.cli.main import run

if __name__ == "__main__":
    run()
