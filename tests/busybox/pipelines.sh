# Pipelines, command substitution, loops, $?, subshells, redirections.
seq 1 5 | sort -r | head -3
echo "a b c" | xargs -n1 echo item
(echo sub; exit 3); echo "subshell status $?"
for i in 1 2 3; do echo "loop $i"; done | tr a-z A-Z
x=$(seq 3 | sort -n | tail -1); echo "x=$x"
false || echo "or works"
true && echo "and works"
f=/tmp/ditto_bb_pipelines
echo redirected > $f; cat < $f; echo appended >> $f; wc -l < $f
ls /nonexistent 2>/dev/null || echo "stderr redirected, status $?"
echo to-stderr 1>&2 2>/dev/null
{ echo grouped; echo lines; } | wc -l
rm -f $f
seq 1 1000 | sort -n | tail -2
yes | head -3
# The shell runs its own binary by the path it was started with (on Debian
# /bin is a symlink to usr/bin: the guest must see it too).
/bin/busybox echo "by its full path"; /bin/busybox sh -c 'echo "exit $((6 * 7))"; exit 3'; echo "status $?"
