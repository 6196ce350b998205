"""Run bench.codec's cases against the old (/tmp/oldgenerated) or new generated package."""
import importlib.util, json, sys
which = sys.argv[1]
if which == "old":
    spec = importlib.util.spec_from_file_location(
        "aiokafka_gen.messages", "/tmp/oldgenerated/__init__.py",
        submodule_search_locations=["/tmp/oldgenerated"])
    mod = importlib.util.module_from_spec(spec)
    sys.modules["aiokafka_gen.messages"] = mod
    spec.loader.exec_module(mod)
    import aiokafka_gen
    aiokafka_gen.messages = mod
import aiokafka_gen.messages as m
print(which, m.__file__, file=sys.stderr)
from bench import codec
res = codec.run(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
json.dump(res, open(f"/tmp/bump/codec_{which}_{sys.argv[3] if len(sys.argv) > 3 else 0}.json", "w"), indent=1)
