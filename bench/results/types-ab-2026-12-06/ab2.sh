#!/bin/bash
set -u
cd /work/main
for spec in "4 new" "4 old" "5 old" "5 new"; do
  set -- $spec; round=$1; side=$2
  if [ $side = old ]; then git checkout -q 5f18e3e -- aiokafka_gen generated; else git checkout -q HEAD -- aiokafka_gen generated; fi
  make build-ext > /tmp/b/ab_build_${side}_$round.log 2>&1 || { echo "build failed $side"; exit 1; }
  timeout 900 .venv/bin/python -m bench --only clients --clients aiokafka_gen --scenarios produce-100B --reps 6 --out /tmp/b/ab_${side}_$round > /tmp/b/ab_${side}_$round.log 2>&1
  echo "$side $round rc=$?"
done
git checkout -q HEAD -- aiokafka_gen generated
make build-ext > /tmp/b/ab_build_final.log 2>&1
git status --short | head
echo AB-DONE
