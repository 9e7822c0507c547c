#!/usr/bin/env python3
"""redis-benchmark against the embedded store and a real Redis, in one run.

Starts `infrac-store` and `redis-server` (127.0.0.1, ephemeral ports, no
persistence, a temporary directory), each pinned to one core, runs Debian's
`redis-benchmark` pinned to the other core against each in turn (GET and
SET, 50 clients, with and without pipelining), and prints operations per
second, p50/p99 latency and the server's CPU time per request side by side
with the ratios. Each figure is the
median of --repeat runs, the two servers measured alternately so that both
see the same machine load. Both servers are stopped at the end, also on
failure.

usage: bench/store-bench.py [--infrac-store build-release/compiler/infrac-store]
                            [--requests 200000] [--repeat 3] [--keyspace 100000]
"""
import argparse
import csv
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ping(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("a server exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("no PONG from port %d" % port)


def cpu_seconds(pid):
    """User plus system CPU time of a process (fields 14 and 15 of /proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench(port, pid, test, pipeline, args):
    argv = ["taskset", "-c", args.client_cpu, "redis-benchmark", "-h", "127.0.0.1",
            "-p", str(port), "-t", test, "-c", "50", "-n", str(args.requests),
            "-r", str(args.keyspace), "-P", str(pipeline), "--csv", "-q"]
    before = cpu_seconds(pid)
    out = subprocess.run(argv, capture_output=True, check=True, timeout=300).stdout.decode()
    cpu = cpu_seconds(pid) - before
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1, out
    row = rows[0]
    # The server's CPU time per request, in microseconds: what the machine's
    # load (other processes on the server's core) changes least.
    return (float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"]),
            cpu * 1e6 / args.requests)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--infrac-store",
                    default=os.path.join(here, "..", "build-release", "compiler", "infrac-store"))
    ap.add_argument("--redis-server", default=shutil.which("redis-server"))
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keyspace", type=int, default=100000)
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--tests", default="set,get", help="redis-benchmark -t names")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--verbose", action="store_true", help="print every run")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="infrac-store-bench-")
    procs = []
    try:
        ports, pids = {}, {}
        ports["embedded"] = free_port()
        procs.append(subprocess.Popen(
            ["taskset", "-c", args.server_cpu, args.infrac_store, "--port",
             str(ports["embedded"])], stdout=subprocess.DEVNULL, start_new_session=True))
        wait_ping(ports["embedded"], procs[-1])
        pids["embedded"] = procs[-1].pid
        ports["redis"] = free_port()
        procs.append(subprocess.Popen(
            ["taskset", "-c", args.server_cpu, args.redis_server, "--port",
             str(ports["redis"]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", tmp, "--daemonize", "no", "--logfile", ""],
            stdout=subprocess.DEVNULL, start_new_session=True))
        wait_ping(ports["redis"], procs[-1])
        pids["redis"] = procs[-1].pid

        print("redis-benchmark, 50 clients, %d requests, keyspace %d, median of %d; "
              "servers on CPU %s, client on CPU %s" % (args.requests, args.keyspace,
                                                       args.repeat, args.server_cpu,
                                                       args.client_cpu))
        header = ("test", "pipeline", "embedded ops/s", "redis ops/s", "ratio",
                  "embedded p50", "redis p50", "embedded p99", "redis p99", "p99 ratio",
                  "embedded CPU/op", "redis CPU/op")
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join([" --- "] * 2 + [" ---: "] * 10) + "|")
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            for test in args.tests.split(","):
                runs = {"embedded": [], "redis": []}
                for _ in range(args.repeat):
                    for name in ("embedded", "redis"):
                        runs[name].append(bench(ports[name], pids[name], test, pipeline, args))
                        if args.verbose:
                            print("  %s %s -P %d: %.0f ops/s p50 %.3f ms p99 %.3f ms, %.2f us CPU" %
                                  ((name, test, pipeline) + runs[name][-1]), file=sys.stderr)
                med = {n: [statistics.median(r[i] for r in runs[n]) for i in range(4)]
                       for n in runs}
                e, r = med["embedded"], med["redis"]
                print("| %s | %d | %.0f | %.0f | %.2f× | %.3f ms | %.3f ms | %.3f ms | "
                      "%.3f ms | %.2f× | %.2f µs | %.2f µs |" % (
                          test.upper(), pipeline, e[0], r[0], e[0] / r[0], e[1], r[1], e[2],
                          r[2], e[2] / r[2], e[3], r[3]),
                      flush=True)
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
