#!/usr/bin/env python3
"""Web sessions live: carts through the ALB under each strategy.

Brings examples/sessions.infra up at --time-scale 20 and, as a shopper
would, fills a cart (POST /cart/items with the app's JSESSIONID cookie) on
each site, kills the instance holding it and reads the cart again:
  - sticky.shop.example.com (in_memory, lb_cookie stickiness): every request
    stays on one instance; once it is killed the cart is lost;
  - cluster.shop.example.com (replicated all-to-all): the cart was sent to
    every peer, and the replication counters on their control endpoints say
    so; it survives;
  - store.shop.example.com (external, the embedded store with a replica):
    it survives; killing the store's primary promotes the replica (the cart
    is still there); killing that too leaves no store (503).
The ready file names the store ("stores"). Then three infrac-echo members
with primary/backup replication (Tomcat's BackupManager): the cart lives on
its primary and one backup, the third member holds only where it is; once
the primary is killed, the third fetches it from the backup. Bounded in
time; the run is stopped, and no process left behind, even when a check
fails.

With --redis-server PATH, the store is a real Redis instead: two
redis-server processes this test starts on loopback (no persistence, the
second a replica of the first), given to the run with
`--redis carts=PRIMARY,REPLICA`; the same checks pass.

usage: sessions_test.py INFRAC SOURCE_DIR [--redis-server PATH]
"""

import json
import os
import socket
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from run_test import INFRAC, LiveRun, request

REDIS_SERVER = sys.argv[sys.argv.index("--redis-server") + 1] \
    if "--redis-server" in sys.argv else None


def cookie_jar(jar, set_cookies):
    """Folds Set-Cookie headers into `jar` (name -> value)."""
    for c in set_cookies or []:
        name, value = c.split(";")[0].split("=", 1)
        jar[name] = value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_command(port, line):
    """One inline command to 127.0.0.1:port; the raw reply ("" when none answers)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(line.encode() + b"\r\n")
            return s.recv(65536).decode(errors="replace")
    except OSError:
        return ""


def start_redis(workdir):
    """A primary and its replica; (processes, ports), the replica's link up."""
    procs, ports = [], []
    for role in ("primary", "replica"):
        port = free_port()
        d = os.path.join(workdir, role)
        os.makedirs(d)
        argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", d, "--daemonize", "no",
                "--repl-diskless-sync-delay", "0"]
        if ports:
            argv += ["--replicaof", "127.0.0.1", str(ports[0])]
        procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        ports.append(port)
    deadline = time.time() + 20
    while "master_link_status:up" not in redis_command(ports[1], "INFO replication"):
        if time.time() > deadline or any(p.poll() is not None for p in procs):
            stop_all(procs)
            raise RuntimeError("redis-server (primary and replica) did not come up")
        time.sleep(0.05)
    return procs, ports


def stop_all(procs):
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


class SessionsTest(LiveRun):
    EXAMPLE = "examples/sessions.infra"

    @classmethod
    def setUpClass(cls):
        cls.redis, extra = [], []
        if REDIS_SERVER:
            cls.redis, ports = start_redis(tempfile.mkdtemp(prefix="infrac-redis-"))
            extra = ["--redis", "carts=" + ",".join("127.0.0.1:%d" % p for p in ports)]
        try:
            cls.start(extra)
        except RuntimeError:
            stop_all(cls.redis)
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        stop_all(cls.redis)
        # No instance of the run is left (each ran in its own process group).
        for i in cls.info["instances"]:
            try:
                os.kill(i["pid"], 0)
                alive = True
            except ProcessLookupError:
                alive = False
            assert not alive, "instance %s (pid %d) outlived the run" % (i["id"], i["pid"])

    def cart(self, site, jar, method="GET", path="/cart", item=None):
        """(status, cart JSON) of one cart request on `site`, cookies kept in `jar`."""
        headers = {"Host": site}
        if jar:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in sorted(jar.items()))
        body = None
        if item:
            body = json.dumps(item)
            headers["Content-Type"] = "application/json"
        s, h, data = request(self.https, path, headers=headers, method=method, body=body)
        cookie_jar(jar, h.get("set-cookie"))
        return s, json.loads(data) if data.startswith(b"{") else {}

    def fill(self, site, jar):
        """Three items in a new cart; the instances that served them."""
        served = []
        for sku, qty in (("apple", 2), ("pear", 1), ("fig", 3)):
            s, c = self.cart(site, jar, "POST", "/cart/items", {"sku": sku, "qty": qty})
            self.assertEqual(s, 200, c)
            served.append(c["instance"])
        s, c = self.cart(site, jar)
        self.assertEqual((s, c["count"], c["state"]), (200, 6, "found"), c)
        self.assertIn("JSESSIONID", jar)
        return served

    def read_after_kill(self, site, jar, killed):
        """The cart, once an instance other than `killed` answers (bounded)."""
        deadline = time.time() + 15
        while time.time() < deadline:
            s, c = self.cart(site, jar)
            if s == 200 and c.get("instance") != killed:
                return c
            time.sleep(0.1)
        self.fail("no other instance answered for %s within 15 s" % site)

    def group_metric(self, group, name, wait=True):
        """A group's metric in GET /v1/status; with `wait`, once it is not 0 (bounded)."""
        deadline = time.time() + 10
        while True:
            g = next(g for g in self.status()["groups"] if g["name"] == group)
            if not wait or g[name] or time.time() > deadline:
                return g[name]
            time.sleep(0.1)

    def control(self, instance):
        urls = {i["id"]: i["control"] for g in self.status()["groups"] for i in g["instances"]}
        s, _, body = request(urls[instance], "/control")
        self.assertEqual(s, 200)
        return json.loads(body)["sessions"]

    def test_1_ready_file_names_the_store(self):
        stores = self.info["stores"]
        self.assertEqual([s["name"] for s in stores], ["carts"])
        self.assertEqual(stores[0]["backend"], "redis" if REDIS_SERVER else "embedded")
        self.assertRegex(stores[0]["address"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual([n["role"] for n in stores[0]["nodes"]], ["primary", "replica"])
        self.assertEqual(self.status()["stores"][0]["address"], stores[0]["address"])

    def test_2_in_memory_and_sticky_loses_the_cart_with_its_instance(self):
        jar = {}
        served = self.fill("sticky.shop.example.com", jar)
        self.assertEqual(len(set(served)), 1, "stickiness keeps one instance: %s" % served)
        self.act("kill", served[0])
        c = self.read_after_kill("sticky.shop.example.com", jar, served[0])
        self.assertEqual((c["state"], c["count"]), ("lost", 0), c)
        # The Fabric counts it from the apps' counters (as sessions_lost(sticky_asg)).
        self.assertGreaterEqual(self.group_metric("sticky_asg", "sessions_lost"), 1)

    def test_3_replicated_keeps_the_cart(self):
        jar = {}
        served = self.fill("cluster.shop.example.com", jar)
        self.assertGreater(len(set(served)), 1, "no stickiness: round robin %s" % served)
        holder = jar["JSESSIONID"].rsplit(".", 1)[1]  # Where it was created.
        self.act("kill", holder)
        c = self.read_after_kill("cluster.shop.example.com", jar, holder)
        self.assertEqual((c["state"], c["count"]), ("found", 6), c)
        # The survivor got the changes over its replication socket.
        r = self.control(c["instance"])["replication"]
        self.assertGreater(r["messages_received"], 0, r)
        self.assertGreater(r["bytes_received"], 0, r)
        self.assertGreater(self.group_metric("cluster_asg", "replication_bytes"), 0)
        self.assertEqual(self.group_metric("cluster_asg", "sessions_lost", wait=False), 0)

    def test_4_external_keeps_the_cart_until_the_store_goes(self):
        site = "store.shop.example.com"
        jar = {}
        served = self.fill(site, jar)
        self.act("kill", served[-1])
        c = self.read_after_kill(site, jar, served[-1])
        self.assertEqual((c["state"], c["count"]), ("found", 6), c)
        # The primary dies: the replica (it has every write) takes over.
        before = self.status()["stores"][0]["address"]
        self.act("kill", "carts")
        after = self.status()["stores"][0]
        self.assertNotEqual(after["address"], before)
        self.assertTrue(after["up"])
        s, c = self.cart(site, jar)
        self.assertEqual((s, c["state"], c["count"]), (200, "found", 6), c)
        # No node left: the app cannot keep sessions at all.
        self.act("kill", "carts")
        self.assertFalse(self.status()["stores"][0]["up"])
        s, c = self.cart(site, jar)
        self.assertEqual(s, 503, c)


class BackupTest(unittest.TestCase):
    """Primary/backup among three infrac-echo processes, without the ALB."""

    @classmethod
    def setUpClass(cls):
        echo = os.path.join(os.path.dirname(INFRAC), "infrac-echo")
        cls.members, cls.procs = [], []
        replication = []
        for i in range(3):
            m = {"id": "i-%d" % (i + 1), "port": free_port(), "control": free_port(),
                 "replication": free_port()}
            env = dict(os.environ, PORT=str(m["port"]), CONTROL_PORT=str(m["control"]),
                       INSTANCE_ID=m["id"], SESSIONS="backup",
                       REPLICATION_PORT=str(m["replication"]),
                       SESSION_PEERS=",".join("127.0.0.1:%d" % r for r in replication))
            cls.procs.append(subprocess.Popen([echo], env=env, stdout=subprocess.DEVNULL,
                                              start_new_session=True))
            replication.append(m["replication"])
            cls.members.append(m)
            cls.wait_for_peers(m, i)
        # Every member greeted the others: each knows two peers.
        for m in cls.members:
            cls.wait_for_peers(m, 2)

    @classmethod
    def wait_for_peers(cls, member, n):
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                _, _, body = request("http://127.0.0.1:%d" % member["control"], "/control")
                if json.loads(body)["sessions"]["replication"]["peers"] == n:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("%s did not learn of %d peers within 10 s" % (member["id"], n))

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()

    def cart(self, member, method="GET", path="/cart", item=None, jar=None):
        headers = {"Cookie": "JSESSIONID=" + jar["JSESSIONID"]} if jar and jar.get(
            "JSESSIONID") else {}
        s, h, body = request("http://127.0.0.1:%d" % member["port"], path, method=method,
                             body=json.dumps(item) if item else None, headers=headers)
        cookie_jar(jar, h.get("set-cookie"))
        return s, json.loads(body)

    def sessions(self, member):
        s, _, body = request("http://127.0.0.1:%d" % member["control"], "/control")
        return json.loads(body)["sessions"]

    def test_the_backup_takes_over_from_a_killed_primary(self):
        jar = {}
        a, b, c = self.members
        for sku in ("apple", "pear"):
            s, cart = self.cart(a, "POST", "/cart/items", {"sku": sku}, jar)
            self.assertEqual(s, 200, cart)
        # One copy beside the primary's: on b or c, and the other holds none.
        held = [self.sessions(m)["held"] for m in (a, b, c)]
        self.assertEqual(held[0], 1, held)
        self.assertEqual(sorted(held[1:]), [0, 1], held)
        backup, other = (b, c) if held[1] else (c, b)
        self.assertGreater(self.sessions(backup)["replication"]["bytes_received"], 0)
        self.procs[0].kill()
        self.procs[0].wait()
        # The member with no copy asks the backup and becomes the primary.
        s, cart = self.cart(other, jar=jar)
        self.assertEqual((s, cart["state"], cart["count"]), (200, "found", 2), cart)
        self.assertEqual(self.sessions(other)["held"], 1)


if __name__ == "__main__":
    tests = ["SessionsTest"] + ([] if REDIS_SERVER else ["BackupTest"])
    unittest.main(argv=[sys.argv[0], "-v"] + tests)
