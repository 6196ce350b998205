#!/usr/bin/env bash
# mypy --strict over the runtime, the generator AND the generated code.
# mypy cannot see setuptools' package-dir mapping (generated/ -> aiokafka_gen.messages), so
# it runs over a symlink tree under build/typecheck that lays the package out as installed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tree=build/typecheck
rm -rf "$tree"
mkdir -p "$tree/aiokafka_gen"
for f in aiokafka_gen/*; do ln -s "$root/$f" "$tree/aiokafka_gen/"; done
ln -s "$root/generated" "$tree/aiokafka_gen/messages"
ln -s "$root/codegen" "$tree/codegen"
cd "$tree"
exec "$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" aiokafka_gen codegen "$@"
