#!/usr/bin/env bash
# Explore and corpus as Slurm job arrays on a single-node cluster this test
# starts and stops itself (cluster.sh): each array task runs one --shard
# K/N, `ditto merge` combines the shards, and the merged result must equal
# the same job run on this machine in one piece.
# Usage: shards.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd -P)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
ditto=$build/ditto
D=$build/slurm-shards
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$D/work" && mkdir -p "$D/work"
W=$D/work
trap '"$here/cluster.sh" stop "$D"' EXIT
env=$("$here/cluster.sh" start "$D") || exit 1
eval "$env"

# One array task: ditto's own status 0 or 1 (failures found) is success.
submit() {
  local name=$1 cmd=$2
  timeout 600 sbatch --wait --array=0-2 --cpus-per-task=1 --output="$W/$name-%a.log" --job-name="ditto-$name" \
    --wrap "$cmd; s=\$?; [ \$s -le 1 ] || { echo ditto exited \$s; exit \$s; }" >/dev/null ||
    fail "$name: the job array failed: $(cat "$W/$name"-*.log)"
}
# shellcheck disable=SC2016  # $SLURM_* expand in the job
shard='--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT'

t0=$SECONDS
submit explore "$ditto explore -q -j1 --runs 150 --seed 5 $shard -o $W/explore-\$SLURM_ARRAY_TASK_ID.db $build/corpus/race_lost_update"
inputs="$src/corpus/fuzz/tlv $src/corpus/fuzz/tlv_extra"
submit corpus "$ditto corpus -q -j1 --timeout-ticks 2000000 $shard -o $W/corpus-\$SLURM_ARRAY_TASK_ID.db $inputs $build/corpus/fuzz_tlv @@"
echo "job arrays done in $((SECONDS - t0)) s"

"$ditto" merge "$W/explore.db" "$W"/explore-{0,1,2}.db >"$W/merge.out" 2>&1 || fail "merge: $(cat "$W/merge.out")"
"$ditto" merge "$W/corpus.db" "$W"/corpus-{0,1,2}.db >>"$W/merge.out" 2>&1 || fail "merge: $(cat "$W/merge.out")"
grep -q warning "$W/merge.out" && fail "merge warned: $(cat "$W/merge.out")"

# The same jobs in one piece, here.
"$ditto" explore -q --runs 150 --seed 5 -o "$W/explore-one.db" "$build/corpus/race_lost_update" >/dev/null || true
# shellcheck disable=SC2086
"$ditto" corpus -q --timeout-ticks 2000000 -o "$W/corpus-one.db" $inputs "$build/corpus/fuzz_tlv" @@ >/dev/null || true

q_explore="SELECT job, total, failing FROM jobs; SELECT kind, signature, count, first_key FROM failures"
q_corpus="SELECT job, total, failing FROM jobs; SELECT kind, signature, count, input_name FROM failures ORDER BY signature;
          SELECT input_hash, kind, signature FROM verdicts ORDER BY input_hash"
for job in explore corpus; do
  q=q_$job
  sqlite3 "$W/$job.db" "${!q}" >"$W/$job.merged"
  sqlite3 "$W/$job-one.db" "${!q}" >"$W/$job.one"
  [ -s "$W/$job.one" ] || fail "$job: the single-machine run wrote no results"
  cmp -s "$W/$job.merged" "$W/$job.one" ||
    fail "$job: the merged shards differ from one run: $(diff "$W/$job.merged" "$W/$job.one")"
  run=$(sqlite3 "$W/$job.db" "SELECT run FROM failures WHERE run > 0 LIMIT 1")
  "$ditto" replay "$W/$job.db" --run "$run" >"$W/rep" 2>&1 || fail "$job: merged run $run: $(cat "$W/rep")"
  echo "ok: $job: 3 Slurm array tasks merged = one run: $(head -2 "$W/$job.merged" | tr '\n' ' ')"
done
