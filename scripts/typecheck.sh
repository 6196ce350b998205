#!/usr/bin/env bash
# Static checks that must see the package as installed: mypy --strict (runtime, generator
# and generated code) or, with `--imports`, the import-linter layer contracts.
# Neither tool can see setuptools' package-dir mapping (generated/ -> aiokafka_gen.messages),
# so both run over a symlink tree under build/typecheck that lays the package out as installed
# (TYPECHECK_TREE=build/other for a second run beside the first).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tree=${TYPECHECK_TREE:-build/typecheck}  # one tree per concurrent run
rm -rf "$tree"
mkdir -p "$tree/aiokafka_gen"
for f in aiokafka_gen/*; do ln -s "$root/$f" "$tree/aiokafka_gen/"; done
ln -s "$root/generated" "$tree/aiokafka_gen/messages"
ln -s "$root/codegen" "$tree/codegen"
cd "$tree"
if [ "${1:-}" = "--imports" ]; then
  exec env PYTHONPATH="$PWD" "$root/.venv/bin/lint-imports" "$root/.importlinter"
fi
exec "$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" aiokafka_gen codegen "$@"
