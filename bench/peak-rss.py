#!/usr/bin/env python3
"""Peak memory of a command and everything it starts.

Usage: bench/peak-rss.py REPORT -- COMMAND [ARGS...]

Runs COMMAND as a child and samples /proc every 100 ms: the process tree rooted at COMMAND
(parent links from /proc/PID/stat, so grandchildren count too), summing VmRSS over the tree.
Writes REPORT (key=value lines) and REPORT.timeline (seconds, RSS KiB, RssAnon KiB: one line a
sample), and exits
with COMMAND's exit status.

  peak_rss_kib     the largest sampled sum of VmRSS over the tree (what was resident at once)
  peak_at_s        when, in seconds after the start
  peak_anon_kib    of that peak, anonymous memory (RssAnon: heap, stacks); the rest is file-backed
                   (the binary and shared libraries, counted once per process)
  sum_hwm_kib      the sum of every process's own peak (VmHWM, last value seen): an upper bound
                   that also covers a spike between two samples
  root_hwm_kib     the command's own VmHWM (the crossnet process)
  processes        how many processes the tree held over the run, and their names
  samples          number of samples

Why /proc and not a cgroup: this machine mounts cgroup v1 for memory (the unified v2 hierarchy
has only hugetlb), so there is no memory.peak; v1's max_usage_in_bytes counts page cache
(report files written, the binary read), which is not RSS.
"""
import os
import signal
import subprocess
import sys
import time


def status(pid):
    """VmRSS, VmHWM, RssAnon, RssFile, RssShmem of a process in KiB; None when it is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                    values[key] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return values if "VmRSS" in values else None  # a zombie has no VmRSS


def parent_links():
    links = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # comm may hold spaces and parentheses: split after the last ')'
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        links[int(entry)] = (int(fields[1]), name)
    return links


def tree(root, links):
    children = {}
    for pid, (ppid, _) in links.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in links:
            out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: peak-rss.py REPORT -- COMMAND [ARGS...]")
    report, command = sys.argv[1], sys.argv[3:]
    start = time.monotonic()
    child = subprocess.Popen(command)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    peak, peak_at, peak_anon, samples = 0, 0.0, 0, 0
    hwm, names = {}, {}
    timeline = open(report + ".timeline", "w")
    while True:
        links = parent_links()
        total = anon = 0
        for pid in tree(child.pid, links):
            st = status(pid)
            if st is None:  # a zombie or gone: nothing resident
                continue
            total += st["VmRSS"]
            anon += st.get("RssAnon", 0)
            names[pid] = links[pid][1]
            hwm[pid] = max(hwm.get(pid, 0), st.get("VmHWM", 0))
        samples += 1
        at = time.monotonic() - start
        timeline.write(f"{at:.1f} {total} {anon}\n")
        if total > peak:
            peak, peak_at, peak_anon = total, at, anon
        if child.poll() is not None:
            break
        time.sleep(0.1)
    timeline.close()
    by_name = {}
    for pid, name in names.items():
        by_name[name] = by_name.get(name, 0) + 1
    with open(report, "w") as f:
        f.write(f"peak_rss_kib={peak}\n")
        f.write(f"peak_at_s={peak_at:.1f}\n")
        f.write(f"peak_anon_kib={peak_anon}\n")
        f.write(f"sum_hwm_kib={sum(hwm.values())}\n")
        f.write(f"root_hwm_kib={hwm.get(child.pid, 0)}\n")
        f.write(f"processes={len(names)} " + ",".join(f"{n}x{c}" for n, c in sorted(by_name.items())) + "\n")
        f.write(f"samples={samples}\n")
        f.write(f"wall_s={time.monotonic() - start:.1f}\n")
    sys.exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)


if __name__ == "__main__":
    main()
