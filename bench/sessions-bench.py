#!/usr/bin/env python3
"""Cart operations per second through the ALB, per session strategy.

Brings examples/sessions.infra up with `infrac run` (time scale 20) and, on
each of its three sites in turn (sticky + in_memory, replicated all-to-all,
external in the embedded store), runs --clients shopper processes, each
with its own keep-alive HTTPS connection to the ALB and its own cart:
--ops `POST /cart/items` each. Beside them, the same clients sending plain
`GET /` to the echo app through the same listener: the peer that shows what
the cart's strategy costs over the proxy and the app alone. Prints, per
site, operations per second, p50 and p99, and on the replicated site the
replication messages and bytes the members sent (their control endpoints).
Each figure is the median of --repeat runs. The run is stopped at the end,
also on failure.

usage: bench/sessions-bench.py [--infrac build-release/compiler/infrac]
                               [--clients 4] [--ops 500] [--repeat 3]
"""
import argparse
import http.client
import json
import multiprocessing
import os
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SITES = [("sticky.shop.example.com", "in_memory + sticky"),
         ("cluster.shop.example.com", "replicated all-to-all (3)"),
         ("store.shop.example.com", "external (embedded store)")]


def shopper(args):
    """One client: `ops` requests on one keep-alive connection; latencies (s)."""
    port, host, ops, cart = args
    tls = ssl.create_default_context()
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=tls, timeout=10)
    cookies = {}
    lat = []
    for i in range(ops):
        headers = {"Host": host}
        if cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in sorted(cookies.items()))
        t0 = time.perf_counter()
        if cart:
            headers["Content-Type"] = "application/json"
            conn.request("POST", "/cart/items", body=json.dumps({"sku": "sku%d" % (i % 20)}),
                         headers=headers)
        else:
            conn.request("GET", "/", headers=headers)
        r = conn.getresponse()
        r.read()
        lat.append(time.perf_counter() - t0)
        if r.status != 200:
            raise RuntimeError("%s answered %d" % (host, r.status))
        for c in r.headers.get_all("Set-Cookie") or []:
            name, value = c.split(";")[0].split("=", 1)
            cookies[name] = value
    conn.close()
    return lat


def measure(pool, port, host, clients, ops, cart):
    t0 = time.perf_counter()
    lats = pool.map(shopper, [(port, host, ops, cart)] * clients)
    wall = time.perf_counter() - t0
    all_lat = sorted(x for l in lats for x in l)
    return (len(all_lat) / wall, all_lat[len(all_lat) // 2] * 1e3,
            all_lat[int(len(all_lat) * 0.99)] * 1e3)


def control(url):
    host, port = url.split("://")[1].split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=5)
    c.request("GET", "/control")
    return json.loads(c.getresponse().read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infrac", default=os.path.join(ROOT, "build-release/compiler/infrac"))
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--ops", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="infrac-sessions-bench-")
    ready = os.path.join(work, "ready.json")
    log = open(os.path.join(work, "run.log"), "w")
    run = subprocess.Popen([a.infrac, "run", os.path.join(ROOT, "examples/sessions.infra"),
                            "--time-scale", "20", "--ready-file", ready, "--duration", "2h"],
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while not os.path.exists(ready):
            if run.poll() is not None or time.time() > deadline:
                sys.exit("infrac run did not get ready; see " + log.name)
            time.sleep(0.05)
        info = json.load(open(ready))
        port = int(next(l["url"] for l in info["listeners"]
                        if l["listener"] == "https").rsplit(":", 1)[1])
        rows = []
        with multiprocessing.Pool(a.clients) as pool:
            for host, name in SITES:
                for cart in (False, True):
                    runs = [measure(pool, port, host, a.clients, a.ops, cart)
                            for _ in range(a.repeat)]
                    rows.append((name, "POST /cart/items" if cart else "GET / (peer)",
                                 statistics.median(r[0] for r in runs),
                                 statistics.median(r[1] for r in runs),
                                 statistics.median(r[2] for r in runs)))
        print("%d clients x %d requests, median of %d runs, through the ALB (HTTPS)"
              % (a.clients, a.ops, a.repeat))
        print("%-28s %-18s %10s %9s %9s" % ("site", "request", "req/s", "p50 ms", "p99 ms"))
        for r in rows:
            print("%-28s %-18s %10.0f %9.2f %9.2f" % r)
        sent = [control(i["control"])["sessions"]["replication"] for i in info["instances"]
                if i["group"] == "cluster_asg"]
        print("replicated: %d messages, %d bytes sent by the members"
              % (sum(s["messages_sent"] for s in sent), sum(s["bytes_sent"] for s in sent)))
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGTERM)
            try:
                run.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()


if __name__ == "__main__":
    main()
