#!/usr/bin/env bash
# Golden traces (corpus/golden): `ditto check` over them, and that it finds
# a change, says where, and blesses new goldens with --update. `ditto diff`
# on two runs.
# Usage: check_cases.sh BUILD_DIR CASE
set -u
build=$1
case_name=$2
ditto=$build/ditto
src=$(cd "$(dirname "$0")/.." && pwd)
golden=$src/corpus/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

case "$case_name" in
  goldens)
    "$ditto" check "$golden" --programs "$build/corpus" >"$tmp/out" 2>&1
    st=$?
    [ $st = 0 ] || fail "ditto check exited $st: $(cat "$tmp/out")"
    n=$(grep -c '^ok ' "$tmp/out")
    [ "$n" = "$(grep -cv '^\s*\(#\|$\)' "$golden/MANIFEST")" ] || fail "not every case checked: $(cat "$tmp/out")"
    for f in "$golden"/*.db; do
      [ "$(stat -c %s "$f")" -le 32768 ] || fail "$f is larger than 32 KB: goldens stay small"
    done
    tail -1 "$tmp/out"
    ;;
  detects)
    # A case recorded with another seed than its golden's: a DIFF naming
    # the first differing event, and exit 1.
    cp "$golden"/random_clock.db "$golden"/hello.db "$tmp/"
    printf 'hello hello\nrandom_clock --seed 8 random_clock\n' >"$tmp/MANIFEST"
    "$ditto" check "$tmp" --programs "$build/corpus" >"$tmp/out" 2>&1
    st=$?
    [ $st = 1 ] || fail "check exited $st, wanted 1: $(cat "$tmp/out")"
    grep -q '^ok    hello' "$tmp/out" || fail "hello should match: $(cat "$tmp/out")"
    grep -q '^DIFF  random_clock' "$tmp/out" || fail "no DIFF line: $(cat "$tmp/out")"
    grep -q 'header seed: 7 | 8' "$tmp/out" || fail "the seed difference is not named: $(cat "$tmp/out")"
    grep -q '^  - #[0-9]* .*getrandom' "$tmp/out" || fail "the first differing event is not shown: $(cat "$tmp/out")"
    # --update blesses the new run; then it matches.
    "$ditto" check "$tmp" --programs "$build/corpus" --update >"$tmp/up" 2>&1 || fail "update: $(cat "$tmp/up")"
    "$ditto" check "$tmp" --programs "$build/corpus" >"$tmp/out" 2>&1 || fail "after update: $(cat "$tmp/out")"
    # A case without a golden fails until blessed.
    printf 'fresh hello\n' >"$tmp/MANIFEST"
    "$ditto" check "$tmp" --programs "$build/corpus" >"$tmp/out" 2>&1
    [ $? = 1 ] && grep -q '^NEW   fresh' "$tmp/out" || fail "a case without golden: $(cat "$tmp/out")"
    printf 'bad --nosuch 1 hello\n' >"$tmp/MANIFEST"
    "$ditto" check "$tmp" --programs "$build/corpus" >"$tmp/out" 2>&1
    [ $? = 125 ] && grep -q 'not a case option' "$tmp/out" || fail "a bad manifest line: $(cat "$tmp/out")"
    echo "ok: a changed seed is found at its first getrandom; --update blesses; NEW and bad lines are reported"
    ;;
  diff)
    "$ditto" record -q --hermetic -o "$tmp/a.db" --seed 1 "$build/corpus/random_clock" >/dev/null || fail "record a"
    "$ditto" record -q --hermetic -o "$tmp/b.db" --seed 2 "$build/corpus/random_clock" >/dev/null || fail "record b"
    "$ditto" diff "$tmp/a.db" "$tmp/a.db" >"$tmp/same" || fail "a run differs from itself: $(cat "$tmp/same")"
    "$ditto" diff "$tmp/a.db" "$tmp/b.db" >"$tmp/out"
    [ $? = 1 ] || fail "seeds 1 and 2 do not differ: $(cat "$tmp/out")"
    grep -q "data differs" "$tmp/out" && grep -q "getrandom" "$tmp/out" || fail "report: $(cat "$tmp/out")"
    "$ditto" diff --json "$tmp/a.db" "$tmp/b.db" >"$tmp/j"
    jq -e '.identical == false and .first_difference == "data" and .from_a[0].name == "getrandom" and .only_a > 0' \
      "$tmp/j" >/dev/null || fail "json: $(cat "$tmp/j")"
    "$ditto" diff "$tmp/a.db" "$tmp/nosuch.db" >"$tmp/o" 2>&1
    [ $? = 4 ] || fail "a missing trace: $(cat "$tmp/o")"
    "$ditto" diff "$tmp/a.db" "$tmp/b.db" --run 1 --run 9 >"$tmp/o" 2>&1
    [ $? = 4 ] && grep -q "no run 9" "$tmp/o" || fail "a missing run: $(cat "$tmp/o")"
    echo "ok: diff finds the first differing getrandom; --json; errors"
    ;;
  events_io)
    # --events io keeps what replay needs; replay says so and still checks
    # the outcome; a corpus at that level ends the same, in less room.
    c=$build/corpus
    "$ditto" record -q --events io -o "$tmp/io.db" "$c/fileio" >/dev/null || fail "record io"
    "$ditto" replay "$tmp/io.db" >"$tmp/rep" 2>&1 || fail "replay io: $(cat "$tmp/rep")"
    grep -q "recording level io" "$tmp/rep" || fail "replay does not say the level: $(cat "$tmp/rep")"
    "$ditto" info "$tmp/io.db" | grep -q "level io" || fail "info does not say the level"
    "$ditto" dump "$tmp/io.db" | grep -q "openat\|write(" && fail "syscall events were recorded at level io"
    printf 'a\nbb\n' | "$ditto" record -q --events io -o "$tmp/in.db" "$c/stdin_echo" >/dev/null || fail "record stdin"
    "$ditto" dump "$tmp/in.db" | grep -q 'read(0x0.*data "a\\nbb\\n"  (from the host)' || fail "stdin read not kept"
    "$ditto" replay --slice-ticks 9 "$tmp/in.db" >"$tmp/rep" 2>&1 || fail "replay stdin io: $(cat "$tmp/rep")"
    # A changed outcome is still found: the summary digests are kept.
    "$ditto" record -q --events io -o "$tmp/s1.db" --seed 1 "$c/random_clock" >/dev/null || fail "record s1"
    "$ditto" diff "$tmp/s1.db" "$tmp/io.db" >/dev/null && fail "diff of two programs said identical"
    src=$(cd "$(dirname "$0")/.." && pwd)
    for l in all io; do
      "$ditto" corpus -q --json --events $l --timeout-ticks 2000000 -o "$tmp/c$l.db" "$src/corpus/fuzz/tlv" \
        "$c/fuzz_tlv" @@ >/dev/null
      sqlite3 "$tmp/c$l.db" "SELECT kind, signature, input_hash FROM verdicts ORDER BY run" >"$tmp/c$l.v"
    done
    cmp -s "$tmp/call.v" "$tmp/cio.v" || fail "levels all and io end differently: $(diff "$tmp/call.v" "$tmp/cio.v")"
    for run in 1 3 5; do
      "$ditto" replay "$tmp/cio.db" --run $run >"$tmp/rep" 2>&1 || fail "corpus io run $run: $(cat "$tmp/rep")"
    done
    a=$(sqlite3 "$tmp/call.db" "SELECT sum(length(data)) FROM batches")
    b=$(sqlite3 "$tmp/cio.db" "SELECT sum(length(data)) FROM batches")
    [ "$b" -lt "$a" ] || fail "level io stores $b bytes of events, all $a"
    echo "ok: level io replays (stdin kept), says so; a corpus's events: $a bytes at all, $b at io"
    ;;
  *) fail "unknown case $case_name" ;;
esac
