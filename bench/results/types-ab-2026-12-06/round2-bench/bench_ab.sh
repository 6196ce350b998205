#!/bin/bash
set -u
for spec in "1 old" "1 new" "2 new" "2 old" "3 old" "3 new" "4 new" "4 old"; do
  set -- $spec; round=$1; side=$2
  cd /tmp/$side
  timeout 1200 /work/main/.venv/bin/python -m bench --only clients --clients aiokafka_gen --scenarios produce-100B --reps 4 --out /tmp/b2/${side}_$round > /tmp/b2/${side}_$round.log 2>&1
  echo "$side $round rc=$? $(date +%T)"
done
echo AB-DONE
