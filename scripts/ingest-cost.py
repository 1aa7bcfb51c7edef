#!/usr/bin/env python3
"""Load-independent cost of ingest: what the daemon spends per message, not how fast it goes.

Starts the release daemon on a temporary store (Unix socket, local adapter), warms it up, then
posts N messages with switchboard-bench and reads, over exactly that run:
  - CPU µs per message, user and kernel, for the whole daemon and per thread (from /proc/PID/task);
  - syscalls per message (perf stat on raw_syscalls:sys_enter, when perf is installed, on a
    second run of N/4 messages);
  - bytes written per message by each thread (/proc/…/io wchar: the writer's is the WAL, the
    checkpointer's is the database file) and commits (fsync/fdatasync calls) per message;
  - throughput and the load average at the time (throughput moves with the machine's load;
    the per-message costs barely do).

  scripts/ingest-cost.py [--messages 100000] [--connections 16] [--classifier on|off] [--sync full|normal]
"""
import argparse, json, os, re, shutil, signal, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--messages", type=int, default=100_000)
ap.add_argument("--connections", type=int, default=16)
ap.add_argument("--classifier", choices=["on", "off"], default="off")
ap.add_argument("--sync", choices=["full", "normal"], default="full")
ap.add_argument("--bin", default=".build/release/switchboard")
ap.add_argument("--bench", default=".build/release/switchboard-bench")
ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
ap.add_argument("--record", metavar="FILE", help="also perf record the daemon during the run into FILE")
args = ap.parse_args()

work = tempfile.mkdtemp(prefix="switchboard-cost.")
sock = os.path.join(work, "ingest.sock")
config = os.path.join(work, "adapters.json")
with open(config, "w") as f:
    json.dump({
        "version": 1,
        "store": {"path": os.path.join(work, "bench.db"), "synchronous": args.sync},
        "listeners": {"local": {"type": "unix", "path": sock}},
        "ingest": {"backlog_budget": 1_000_000},
        "log": {"level": "warning"},
        "classifier": {"enabled": args.classifier == "on"},
        "adapters": {"local": {"type": "local", "listener": "local"}},
    }, f)

hz = os.sysconf("SC_CLK_TCK")


def snapshot(pid):
    """{tid: (name, utime, stime, wchar, syscw)} for every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            io = dict(line.split(": ") for line in open(f"/proc/{pid}/task/{tid}/io").read().splitlines())
            out[tid] = (name, int(fields[11]), int(fields[12]), int(io["wchar"]), int(io["syscw"]))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
    return out


daemon = subprocess.Popen([args.bin, "run", "--config", config], stderr=open(os.path.join(work, "daemon.log"), "w"))
try:
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    else:
        sys.exit("the daemon did not start: " + open(os.path.join(work, "daemon.log")).read())
    subprocess.run([args.bench, "--socket", sock, "--messages", "20000", "--connections", str(args.connections),
                    "--label", "warm-up"], check=True, stdout=subprocess.DEVNULL)
    load = open("/proc/loadavg").read().split()[0]
    recorder = None
    if args.record:
        recorder = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", args.record, "-p", str(daemon.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
    before = snapshot(daemon.pid)
    client_before = os.times()
    bench = subprocess.run([args.bench, "--socket", sock, "--messages", str(args.messages), "--connections",
                            str(args.connections), "--pid", str(daemon.pid), "--label", "run"],
                           check=True, capture_output=True, text=True).stdout.strip()
    client_after = os.times()
    client_cpu = (client_after.children_user + client_after.children_system
                  - client_before.children_user - client_before.children_system)
    after = snapshot(daemon.pid)
    if args.keep:
        shutil.copy(os.path.join(work, "bench.db-wal"), os.path.join(work, "sample.wal"))
    counts = {}
    if recorder:
        recorder.send_signal(signal.SIGINT)
        recorder.wait()
    # Syscalls are counted on a second, shorter run: tracing every syscall makes each one dearer,
    # which would show in the CPU figures above.
    perf_out = os.path.join(work, "perf.txt")
    syscall_messages = max(1, args.messages // 4)
    if shutil.which("perf"):
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", perf_out, "-p", str(daemon.pid), "-e",
                                 "raw_syscalls:sys_enter,syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync"],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        subprocess.run([args.bench, "--socket", sock, "--messages", str(syscall_messages), "--connections",
                        str(args.connections), "--label", "syscalls"], check=True, stdout=subprocess.DEVNULL)
        perf.send_signal(signal.SIGINT)
        perf.wait()
        for line in open(perf_out):
            parts = line.strip().split(",")
            if len(parts) > 2 and parts[0].replace(".", "").isdigit():
                counts[parts[2]] = int(float(parts[0]))
    n = args.messages
    per_thread = {}
    for tid, (name, u, s, w, c) in after.items():
        _, u0, s0, w0, c0 = before.get(tid, (name, 0, 0, 0, 0))
        agg = per_thread.setdefault(name, [0, 0, 0, 0])
        for i, v in enumerate((u - u0, s - s0, w - w0, c - c0)):
            agg[i] += v
    tot_u = sum(v[0] for v in per_thread.values())
    tot_s = sum(v[1] for v in per_thread.values())
    us = lambda ticks: ticks * 1e6 / hz / n
    rate = re.search(r"([\d.]+) messages/s", bench).group(1)
    p99 = re.search(r"p99 ([\d.]+) ms", bench).group(1)
    syscalls = counts.get("raw_syscalls:sys_enter", 0) * n / syscall_messages
    syncs = (counts.get("syscalls:sys_enter_fdatasync", 0) + counts.get("syscalls:sys_enter_fsync", 0)) * n / syscall_messages
    print(f"classifier {args.classifier}, synchronous={args.sync}, {n} messages, {args.connections} connections, load {load}")
    print(f"  daemon CPU per message: {us(tot_u):.1f} µs user + {us(tot_s):.1f} µs kernel = {us(tot_u + tot_s):.1f} µs")
    print(f"  syscalls per message: {syscalls / n:.2f}; fsyncs (≈ commits) per message: {syncs / n:.4f}"
          f" (≈ {n / syncs if syncs else 0:.1f} messages per commit)")
    print(f"  throughput {float(rate):,.0f} msg/s, p99 {p99} ms; the bench client used {client_cpu * 1e6 / n:.1f} µs CPU per message")
    for name, (u, s, w, c) in sorted(per_thread.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        if u + s == 0 and w == 0:
            continue
        print(f"    {name:20s} {us(u):6.1f} µs user {us(s):6.1f} µs kernel   wrote {w / n:7.0f} B/msg in {c / n:.2f} writes/msg")
finally:
    daemon.send_signal(signal.SIGTERM)
    daemon.wait()
    if args.keep:
        print("kept", work)
    else:
        shutil.rmtree(work, ignore_errors=True)
