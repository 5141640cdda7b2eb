# SQLite's default VFS under both journal modes: a rollback journal
# (DELETE) and WAL with its shared-memory index (-shm, mmap'd, fcntl
# locks), 100,000 rows each, a second connection reading them back, a
# rolled-back transaction, and the files left behind after close.
import os
import sqlite3
import tempfile

top = tempfile.mkdtemp()
for mode in ("DELETE", "WAL"):
    path = os.path.join(top, "t_%s.db" % mode)
    c = sqlite3.connect(path)
    print(mode, c.execute("PRAGMA journal_mode=%s" % mode).fetchone()[0])
    c.execute("CREATE TABLE t(i INTEGER PRIMARY KEY, s TEXT)")
    with c:
        c.executemany("INSERT INTO t(s) VALUES (?)", (("row%d" % i,) for i in range(100000)))
    print(" rows", c.execute("SELECT count(*), sum(length(s)) FROM t").fetchone())
    reader = sqlite3.connect(path)
    print(" reader sees", reader.execute("SELECT max(i) FROM t").fetchone()[0])
    if mode == "WAL":
        print(" files while open", sorted(os.listdir(top)))
    try:
        with c:
            c.execute("DELETE FROM t WHERE i > 50000")
            print(" reader during the write", reader.execute("SELECT count(*) FROM t").fetchone()[0])
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    print(" after rollback", c.execute("SELECT count(*) FROM t").fetchone()[0])
    print(" integrity", c.execute("PRAGMA integrity_check").fetchone()[0])
    reader.close()
    c.close()
    print(" files after close", sorted(f for f in os.listdir(top) if f.startswith("t_" + mode)))
for f in os.listdir(top):
    os.unlink(os.path.join(top, f))
os.rmdir(top)
