"""Runs one child process and returns its own resource usage (tools/bench helpers).

The CPU time (user + sys) and peak RSS are the child's rusage as wait4 returns
it: the same accounting getrusage(RUSAGE_CHILDREN) sums, but for that one child,
so runs of different sizes do not mix. CPU time rather than wall time because the
benchmark machine is shared: other jobs stretch wall time much more than CPU time.

Caveat on peak RSS: Linux keeps the largest RSS a process had before exec in its
ru_maxrss, and Python starts children by vfork (the child runs in the parent's
memory until exec), so a child's ru_maxrss is at least the Python parent's RSS at
the spawn. Keep the parent small (no numpy) where peak RSS matters;
`parent_rss_mib()` says how large it is.
"""
import os
import platform
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass
class ChildUsage:
    cpu_s: float        # user + sys of the child
    user_s: float
    sys_s: float
    wall_s: float
    peak_rss_mib: float  # the child's ru_maxrss (see the caveat above)
    returncode: int
    stdout: str
    stderr: str


def run_child(cmd, cwd=None, capture_stdout=False):
    """Runs cmd to completion; raises RuntimeError (with the end of its stderr) on a non-zero exit."""
    # Output goes to temporary files, not pipes: nothing can block, and the child is
    # reaped here by wait4 (Popen.wait would reap it and lose its rusage).
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out if capture_stdout else subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits again
        out.seek(0)
        err.seek(0)
        usage = ChildUsage(cpu_s=ru.ru_utime + ru.ru_stime, user_s=ru.ru_utime, sys_s=ru.ru_stime, wall_s=wall,
                           peak_rss_mib=ru.ru_maxrss / 1024.0, returncode=proc.returncode, stdout=out.read(),
                           stderr=err.read())
    if usage.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {usage.returncode}: {usage.stderr.strip()[-2000:]}")
    return usage


def parent_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine():
    """Cores, CPU model, kernel and the 1-minute load average now."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(), "load_1min": os.getloadavg()[0]}
