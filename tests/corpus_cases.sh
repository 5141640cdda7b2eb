#!/usr/bin/env bash
# `ditto corpus` on the fuzz target corpus/fuzz_tlv.c and its committed
# AFL++-layout inputs (corpus/fuzz/): the crashes are found and grouped, every
# run replays, each input ends as it does natively, and the results do not
# depend on --jobs, on stdin versus @@, or on sharding.
# Usage: corpus_cases.sh BUILD_DIR CASE
set -u
build=$1
case_name=$2
ditto=$build/ditto
prog=$build/corpus/fuzz_tlv
src=$(cd "$(dirname "$0")/.." && pwd)
inputs=("$src/corpus/fuzz/tlv" "$src/corpus/fuzz/tlv_extra")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

# Runs the corpus; the summary JSON line goes to $tmp/$1.sum, the groups to $tmp/$1.groups.
corpus() {
  local name=$1
  shift
  "$ditto" corpus -q --json --timeout-ticks 2000000 -o "$tmp/$name.db" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
  local st=$?
  [ $st = 1 ] || fail "$name: corpus exited $st, wanted 1 (crashes found): $(cat "$tmp/$name.err" "$tmp/$name.json")"
  jq -c 'select(.type == "summary")' "$tmp/$name.json" >"$tmp/$name.sum"
  jq -r 'select(.type == "group") | "\(.kind) \(.signature) \(.count) \(.smallest_input | split("/") | last)"' \
    "$tmp/$name.json" >"$tmp/$name.groups"
}

sum() { jq -r ".$2" "$tmp/$1.sum"; }

case "$case_name" in
  finds)
    corpus f "${inputs[@]}" "$prog" @@
    [ "$(sum f inputs)/$(sum f files)/$(sum f duplicates)" = 14/15/1 ] ||
      fail "inputs/files/duplicates: $(cat "$tmp/f.sum") (crashes/README.txt is AFL++'s, not an input)"
    [ "$(sum f clean) $(sum f nonzero_exits) $(sum f crashes) $(sum f unique_crashes) $(sum f hangs)" = "5 4 4 2 1" ] ||
      fail "clean, exits, crashes, unique, hangs: $(cat "$tmp/f.sum")"
    grep -q "^signal SIGSEGV at parse_name+0x[0-9a-f]*, stack [0-9a-f]* 2 id:000000,sig:11" "$tmp/f.groups" ||
      fail "no parse_name group of 2 with the smallest input id:000000: $(cat "$tmp/f.groups")"
    grep -q "^signal SIGSEGV at parse_tally+0x[0-9a-f]*, stack [0-9a-f]* 2 id:000003,sig:11" "$tmp/f.groups" ||
      fail "no parse_tally group of 2 with the smallest input id:000003: $(cat "$tmp/f.groups")"
    grep -q "^livelock livelock 1 id:000000,src:000002" "$tmp/f.groups" || fail "no hang group: $(cat "$tmp/f.groups")"
    jq -s -e 'map(select(.type == "group" and .kind == "signal")) | length == 2 and all(.where | test("fuzz_tlv.c:[0-9]+"))' \
      "$tmp/f.json" >/dev/null || fail "crash places are not symbolised to source lines: $(cat "$tmp/f.json")"
    # Every run replays identically, from the results database alone.
    for run in $(seq 1 14); do
      "$ditto" replay "$tmp/f.db" --run "$run" >"$tmp/rep" 2>&1 || fail "replay of run $run: $(cat "$tmp/rep")"
    done
    run=$(jq -r 'select(.type == "group") | .run' "$tmp/f.json" | head -1)
    "$ditto" dump "$tmp/f.db" --run "$run" | grep -q "fault .* signal 11" || fail "run $run's events show no fault"
    echo "ok: $(cat "$tmp/f.groups" | tr '\n' ';'); 14 runs replay"
    ;;
  native)
    # Each input ends under Ditto as it does on the host: exit status, or
    # the signal that killed it, or still running (a hang).
    corpus n "${inputs[@]}" "$prog" @@
    "$ditto" dump "$tmp/n.db" --json >/dev/null || fail "dump"
    checked=0
    while read -r f; do
      native=$( (timeout 5 "$prog" "$f" >/dev/null 2>&1; echo $?) 2>/dev/null)
      case $native in
        0) want=clean ;; 1) want=exit ;; 139) want=signal ;; 124) want=livelock ;; *) want="status $native" ;;
      esac
      got=$(sqlite3 "$tmp/n.db" "SELECT kind FROM verdicts WHERE input_name = '$f'")
      [ -n "$got" ] || continue  # a duplicate of another input
      [ "$got" = "$want" ] || fail "$f: natively $want (status $native), under Ditto $got"
      checked=$((checked + 1))
    done < <(find "${inputs[@]}" -type f ! -name README.txt | sort)
    [ $checked = 14 ] || fail "checked $checked inputs, wanted 14"
    echo "ok: 14 inputs end as they do natively"
    ;;
  stdin_and_jobs)
    # The same verdicts fed on stdin, with one job or two; with the same
    # flags, the same database (runs in input order whatever the jobs).
    corpus a -j1 "${inputs[@]}" "$prog" @@
    corpus b -j2 "${inputs[@]}" "$prog" @@
    corpus c -j2 --stdin "${inputs[@]}" "$prog"
    "$ditto" dump "$tmp/a.db" >"$tmp/a.dump" && "$ditto" dump "$tmp/b.db" >"$tmp/b.dump" || fail "dump"
    cmp -s "$tmp/a.dump" "$tmp/b.dump" || fail "-j1 and -j2 differ: $(diff "$tmp/a.dump" "$tmp/b.dump" | head)"
    cmp -s "$tmp/a.groups" "$tmp/c.groups" || fail "stdin and @@ group differently: $(diff "$tmp/a.groups" "$tmp/c.groups")"
    for v in a c; do sqlite3 "$tmp/$v.db" "SELECT kind, signature, input_hash FROM verdicts ORDER BY run" >"$tmp/$v.v"; done
    cmp -s "$tmp/a.v" "$tmp/c.v" || fail "stdin and @@ verdicts differ: $(diff "$tmp/a.v" "$tmp/c.v")"
    "$ditto" replay "$tmp/c.db" --run 1 >"$tmp/rep" 2>&1 || fail "stdin replay: $(cat "$tmp/rep")"
    echo "ok: -j1 = -j2 (byte-identical events), stdin = @@ (same verdicts)"
    ;;
  pie)
    # A static-PIE build: the same groups by name, whatever its load address.
    corpus s "${inputs[@]}" "$prog" @@
    corpus p "${inputs[@]}" "$prog.pie" @@
    cut -d' ' -f1-4,7- "$tmp/s.groups" >"$tmp/s.g" && cut -d' ' -f1-4,7- "$tmp/p.groups" >"$tmp/p.g"
    cmp -s "$tmp/s.g" "$tmp/p.g" || fail "static and static-pie group differently: $(diff "$tmp/s.groups" "$tmp/p.groups")"
    echo "ok: static-pie groups as static: $(tr '\n' ';' <"$tmp/p.groups")"
    ;;
  shards)
    # Shards partition the inputs: together, the whole.
    corpus all "${inputs[@]}" "$prog" @@
    total=0
    for k in 0 1 2; do
      "$ditto" corpus -q --json --timeout-ticks 2000000 --shard $k/3 -o "$tmp/s$k.db" "${inputs[@]}" "$prog" @@ \
        >"$tmp/s$k.json" 2>&1
      n=$(jq -r 'select(.type == "summary") | .inputs' "$tmp/s$k.json")
      total=$((total + n))
      sqlite3 "$tmp/s$k.db" "SELECT input_hash FROM verdicts" >>"$tmp/hashes"
    done
    [ $total = 14 ] || fail "the shards hold $total inputs, wanted 14"
    [ "$(sort -u "$tmp/hashes" | wc -l)" = 14 ] || fail "an input is in two shards"
    echo "ok: shards 0-2/3 hold 14 distinct inputs"
    ;;
  merge)
    # Shards merged = one job over everything: totals, groups (count and
    # smallest input) and each input's verdict; merging a database with
    # itself leaves the duplicate inputs out.
    corpus all "${inputs[@]}" "$prog" @@
    for k in 0 1 2; do
      "$ditto" corpus -q --json --timeout-ticks 2000000 --shard $k/3 -o "$tmp/s$k.db" "${inputs[@]}" "$prog" @@ \
        >/dev/null 2>&1
    done
    "$ditto" merge "$tmp/m.db" "$tmp/s0.db" "$tmp/s1.db" "$tmp/s2.db" >"$tmp/out" 2>&1 || fail "merge: $(cat "$tmp/out")"
    q="SELECT job, total, failing FROM jobs; SELECT kind, signature, count, input_name FROM failures ORDER BY signature;
       SELECT input_hash, kind, signature FROM verdicts ORDER BY input_hash"
    sqlite3 "$tmp/all.db" "$q" >"$tmp/all.q" && sqlite3 "$tmp/m.db" "$q" >"$tmp/m.q" || fail "sqlite3"
    cmp -s "$tmp/all.q" "$tmp/m.q" || fail "merged shards differ from one job: $(diff "$tmp/all.q" "$tmp/m.q")"
    # Batches and blobs are copied as stored: shared ones stay shared.
    sum=$(( $(stat -c %s "$tmp/s0.db") + $(stat -c %s "$tmp/s1.db") + $(stat -c %s "$tmp/s2.db") ))
    [ "$(stat -c %s "$tmp/m.db")" -lt "$sum" ] || fail "the merge ($(stat -c %s "$tmp/m.db") bytes) is not smaller than its shards ($sum)"
    [ "$(sqlite3 "$tmp/m.db" "SELECT count(DISTINCT shared) FROM batches")" = 1 ] || fail "the snapshot batch is not shared"
    run=$(sqlite3 "$tmp/m.db" "SELECT run FROM failures WHERE signature LIKE '%parse_tally%'")
    "$ditto" replay "$tmp/m.db" --run "$run" >"$tmp/rep" 2>&1 || fail "merged run $run: $(cat "$tmp/rep")"
    "$ditto" merge --json "$tmp/twice.db" "$tmp/all.db" "$tmp/all.db" >"$tmp/j" 2>&1 || fail "merge twice: $(cat "$tmp/j")"
    jq -e '.runs == 14 and .skipped_duplicates == 14 and .jobs[0].total == 14' "$tmp/j" >/dev/null ||
      fail "a database merged with itself: $(cat "$tmp/j")"
    "$ditto" merge "$tmp/all.db" "$tmp/all.db" >"$tmp/o" 2>&1
    [ $? = 125 ] || fail "merging into an input: $(cat "$tmp/o")"
    echo "ok: 3 shards merged = one job (totals, groups, verdicts); run $run replays from the merge"
    ;;
  untouched)
    # A program that never reads its input: one run stands for every input,
    # and each saved run replays.
    "$ditto" corpus -q --json -o "$tmp/u.db" "$src/corpus/fuzz/tlv" "$build/corpus/hello" >"$tmp/u.json" 2>&1 ||
      fail "hello: $(cat "$tmp/u.json")"
    jq -e 'select(.type == "summary") | .snapshot == false and .clean == 13' "$tmp/u.json" >/dev/null ||
      fail "$(cat "$tmp/u.json")"
    "$ditto" replay "$tmp/u.db" --run 3 >"$tmp/rep" 2>&1 || fail "replay: $(cat "$tmp/rep")"
    echo "ok: an untouched input: one run for all 13, and it replays"
    ;;
  errors)
    "$ditto" corpus "$src/corpus/fuzz/tlv" "$prog" @@ >"$tmp/o" 2>&1
    [ $? = 125 ] && grep -q "required" "$tmp/o" || fail "no -o: $(cat "$tmp/o")"
    "$ditto" corpus -o "$tmp/x.db" "$prog" @@ >"$tmp/o" 2>&1
    [ $? = 125 ] && grep -q "usage" "$tmp/o" || fail "no input folder: $(cat "$tmp/o")"
    "$ditto" corpus --shard 3/3 -o "$tmp/x.db" "$src/corpus/fuzz/tlv" "$prog" @@ >"$tmp/o" 2>&1
    [ $? = 125 ] && grep -q "0 <= K < N" "$tmp/o" || fail "bad shard: $(cat "$tmp/o")"
    "$ditto" corpus --stdin -o "$tmp/x.db" "$src/corpus/fuzz/tlv" "$prog" @@ >"$tmp/o" 2>&1
    [ $? = 125 ] && grep -q "exclude" "$tmp/o" || fail "--stdin with @@: $(cat "$tmp/o")"
    echo "ok: usage errors exit 125 with a message"
    ;;
  *)
    fail "unknown case $case_name"
    ;;
esac
