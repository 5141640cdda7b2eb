# Python's standard library under Ditto: threads, subprocess, sockets on
# loopback (TCP, UDP, a socketpair) and sqlite3 on a file (rollback journal,
# then WAL), 100,000 rows.
import socket, sqlite3, subprocess, threading, os, tempfile

s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
def serve():
    c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
t = threading.Thread(target=serve); t.start()
c = socket.create_connection(s.getsockname()); c.sendall(b"hello"); print(c.recv(100)); t.join()
a, b = socket.socketpair(); a.send(b"pair"); print(b.recv(10))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); v.sendto(b"datagram", u.getsockname()); print(u.recv(10))
print(subprocess.run(["sh", "-c", "echo from a shell; exit 3"], capture_output=True))
d = tempfile.mkdtemp()
for mode in ("delete", "wal"):
    db = sqlite3.connect(os.path.join(d, mode + ".db"))
    print(db.execute("pragma journal_mode=" + mode).fetchone())
    db.execute("create table t(a integer, b text)")
    db.executemany("insert into t values(?, ?)", ((i, str(i)) for i in range(100000)))
    db.commit()
    print(db.execute("select count(*), sum(a), max(b) from t").fetchone())
