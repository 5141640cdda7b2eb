#!/usr/bin/env bash
# Real programs from Debian packages, natively and under Ditto: the output
# and status must match, and a recording must replay identically.
# Usage: real_programs.sh DITTO CASE
set -u
ditto=$1 case=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /var/tmp/ditto-real.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

same() {  # same NAME -- command...: native vs ditto run, then record + replay
  local name=$1; shift 2
  "$@" >native.out 2>/dev/null
  local ns=$?
  "$ditto" run -q -- "$@" >ditto.out 2>ditto.err
  local ds=$?
  if [ "$ns" != "$ds" ] || ! cmp -s native.out ditto.out; then
    echo "FAIL: $name: native status $ns, ditto $ds"; diff native.out ditto.out | head -20; head -20 ditto.err; exit 1
  fi
  "$ditto" record -q -o t.db -- "$@" >/dev/null 2>&1
  "$ditto" replay t.db >replay.out 2>&1 || { echo "FAIL: $name: replay"; cat replay.out; exit 1; }
  echo "ok: $name: status $ds, $(wc -l <ditto.out) lines, $(cat replay.out)"
}

case "$case" in
  go)
    command -v go >/dev/null || { echo "FAIL: go missing (apt-get install golang-go)"; exit 1; }
    export HOME=$tmp GOCACHE=$tmp/cache GOFLAGS=-mod=mod GO111MODULE=off
    CGO_ENABLED=0 go build -o basics "$here/real/runtime_basics.go" || exit 1
    CGO_ENABLED=0 go build -o http "$here/real/http_loopback.go" || exit 1
    # Timers, GC, goroutines, os.ReadFile, os/exec: as natively, but for
    # runtime.NumCPU, which is the guest's CPU count (4), not the host's.
    ./basics | grep -v '^cpus' >native.out
    "$ditto" run -q ./basics >ditto.out || { echo "FAIL: go basics under ditto exited $?"; exit 1; }
    grep -qx "cpus 4" ditto.out || { echo "FAIL: the guest does not see 4 CPUs"; cat ditto.out; exit 1; }
    grep -v '^cpus' ditto.out | cmp -s - native.out || { echo "FAIL: go basics differ"; cat ditto.out; exit 1; }
    echo "ok: go basics"
    # net/http: a server and a client over loopback in one guest.
    same go_http -- ./http
    ;;
  python)
    command -v python3 >/dev/null || { echo "FAIL: python3 missing"; exit 1; }
    # A copy beside us: the guest's /tmp is its own, and the checkout may be there.
    cp "$here/real/python_mix.py" .
    same python -- /usr/bin/python3 "$tmp/python_mix.py"
    cp "$here/real/harness_setup.py" .
    same harness_setup -- /usr/bin/python3 "$tmp/harness_setup.py"
    ;;
  sqlite)
    # The default VFS in both journal modes, 100,000 rows each: through
    # Python's sqlite3 module, and through the sqlite3 shell.
    command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 missing (apt-get install sqlite3)"; exit 1; }
    cp "$here/real/sqlite_modes.py" .
    same sqlite_python -- /usr/bin/python3 "$tmp/sqlite_modes.py"
    sql='PRAGMA journal_mode=WAL; CREATE TABLE t(i INTEGER PRIMARY KEY, s TEXT);
      WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x<100000)
      INSERT INTO t(s) SELECT printf("r%d", x) FROM n;
      SELECT count(*), sum(length(s)) FROM t; BEGIN; DELETE FROM t; ROLLBACK;
      SELECT count(*) FROM t; PRAGMA integrity_check;'
    same sqlite_shell -- /bin/sh -c "d=\$(mktemp -d) && sqlite3 \$d/w.db '$sql' && ls \$d && rm -r \$d"
    ;;
  gcc)
    # The compiler driver, cc1, as and ld under Ditto: the object and the
    # executable have the same bytes as natively built ones.
    command -v gcc >/dev/null || { echo "FAIL: gcc missing"; exit 1; }
    printf '#include <stdio.h>\nint main(void) { printf("hi %%d\\n", 6 * 7); return 0; }\n' >hello.c
    same gcc -- /bin/sh -c 'gcc -O2 -c hello.c -o hello.o && gcc hello.o -o hello && ./hello && sha256sum hello.o hello'
    ;;
  perl)
    same perl -- /usr/bin/perl -e 'my %h = map { $_ => $_ ** 2 } 1..1000; print scalar(keys %h), " ", $h{999}, "\n"'
    ;;
  *) echo "unknown case $case"; exit 2 ;;
esac
