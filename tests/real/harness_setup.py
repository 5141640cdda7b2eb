# What a test harness does before it tests anything: a private temp
# directory (mkdtemp, chmod, chown to another user and back), a check
# that its file system has room (statvfs), fixtures written into it, and
# a test run in it as a child process.
import os
import shutil
import stat
import subprocess
import tempfile

work = tempfile.mkdtemp(prefix="harness-")
os.chmod(work, 0o700)
print("mode", oct(stat.S_IMODE(os.stat(work).st_mode)))
os.chown(work, 1000, 1000)
st = os.stat(work)
print("owner after chown", st.st_uid, st.st_gid)
os.chown(work, 0, 0)
fs = os.statvfs(work)
print("statvfs has room", fs.f_bsize > 0 and fs.f_bavail * fs.f_frsize > 1 << 20, "name max", fs.f_namemax)
for i in range(3):
    with open(os.path.join(work, "fixture%d.txt" % i), "w") as f:
        f.write("case %d\n" % i)
os.chmod(os.path.join(work, "fixture0.txt"), 0o444)
r = subprocess.run(["/bin/sh", "-c", "cat fixture*.txt | wc -l; test -w fixture1.txt && echo writable"],
                   cwd=work, capture_output=True, text=True)
print("test run", r.returncode, r.stdout.split())
shutil.rmtree(work)
print("cleaned", not os.path.exists(work))
