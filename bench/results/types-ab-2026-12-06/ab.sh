#!/bin/bash
# A/B of the client bench: the tree before issue #20's work (5f18e3e) and HEAD, alternating.
set -u
cd /work/main
for round in 3; do
  for side in new old; do
    if [ $side = old ]; then git checkout -q 5f18e3e -- aiokafka_gen generated; else git checkout -q HEAD -- aiokafka_gen generated; fi
    make build-ext > /tmp/b/ab_build_${side}_$round.log 2>&1 || { echo "build failed $side"; exit 1; }
    .venv/bin/python -c "import aiokafka_gen; c=aiokafka_gen.compiled(); print('$side', sum(c.values()), len(c))"
    timeout 900 .venv/bin/python -m bench --only clients --clients aiokafka_gen --scenarios produce-100B,consume-100B --reps 4 --out /tmp/b/ab_${side}_$round > /tmp/b/ab_${side}_$round.log 2>&1
    echo "$side $round rc=$?"
  done
done
git checkout -q HEAD -- aiokafka_gen generated
make build-ext > /tmp/b/ab_build_final.log 2>&1
git status --short | head
echo AB-DONE
