# File-system applets: touch, ln, ln -s, chmod, mkfifo, tar keeping modes
# and times, --install -s, nc over loopback, top reading /proc.
d=$(mktemp -d)
cd $d || exit 1
touch a; echo "touch: $(stat -c '%s %F' a)"
touch -d '2001-02-03 04:05:06' a; echo "touch -d: $(date -r a '+%Y-%m-%d %H:%M:%S')"
ln a hard; echo "ln: links $(stat -c %h a)"
ln -s a soft; echo "ln -s: $(readlink soft), $(stat -c %F soft)"
chmod 0640 a; echo "chmod: $(stat -c %a a)"
chmod u+x,g-r a; echo "chmod u+x,g-r: $(stat -c %A a)"
mkfifo -m 0600 fifo; echo "mkfifo: $(stat -c '%F %a' fifo)"
(echo through-the-fifo > fifo &) ; read line < fifo; echo "fifo read: $line"
mkdir -p tree/sub; echo one > tree/f1; echo two > tree/sub/f2
chmod 0751 tree/sub; chmod 0604 tree/f1
touch -d '1999-12-31 23:59:58' tree/f1 tree/sub/f2 tree/sub tree
tar cf t.tar tree && rm -r tree && tar xf t.tar
# (BusyBox's tar sets a directory's time before it fills it: not compared.)
for f in tree/f1 tree/sub/f2; do echo "tar: $f $(stat -c %A $f) $(date -r $f '+%Y-%m-%d %H:%M:%S')"; done
echo "tar: tree/sub $(stat -c %A tree/sub)"
tar tvf t.tar | sed 's/  */ /g' | cut -d' ' -f1,3,4,5,6 | sort
mkdir bin && busybox --install -s $d/bin; echo "install -s: $(readlink bin/ls), $(ls bin | wc -l) links"
bin/echo "an applet by its link"
# A port of this run's own (test runs may overlap on the host); the client
# retries until the listener is up, however loaded the machine is.
port=$((20000 + $$ % 20000))
nc -l -p $port > got &
sleep 1
tries=0
until echo "over loopback" | nc 127.0.0.1 $port 2>/dev/null || [ $((tries += 1)) -ge 50 ]; do sleep 0.2; done
wait; echo "nc: $(cat got)"
top -b -n 1 | head -1 | cut -d' ' -f1
rm -rf "$d"
echo done
