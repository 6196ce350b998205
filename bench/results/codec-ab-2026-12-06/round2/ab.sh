#!/bin/bash
# Codec A/B of generated/ before issue #20 (5f18e3e, in /tmp/oldgenerated) and now, one idle run, sides alternating.
cd /tmp/codecab
for pair in "old new" "new old" "old new" "new old"; do
  for side in $pair; do
    n=$(ls codec_${side}_*.json 2>/dev/null | wc -l)
    PYTHONPATH=/work/main /work/main/.venv/bin/python /work/main/bench/results/codec-ab-2026-12-06/run_ab.py $side 11 $((n+1)) 2>/dev/null
  done
done
