#!/usr/bin/env python3
"""`infrac run` end to end, through real sockets on 127.0.0.1.

Brings examples/webshop.infra up at --time-scale 20 and checks, as a user
would with curl: the HTTP listener redirects to the HTTPS one; requests
spread over the instances; a sticky client stays on its instance and is
re-picked with a new cookie when that instance is killed; the killed
instance gets no further requests and the group replaces it; the admin API
reports it all; nothing listens beyond 127.0.0.1; SIGTERM stops everything
and leaves no process behind. Bounded in time; the run is stopped even when
a check fails.

usage: run_test.py INFRAC SOURCE_DIR
"""

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

INFRAC, SOURCE = sys.argv[1], sys.argv[2]
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def request(url, path="/", headers=None, method="GET", body=None):
    """(status, headers dict (lower-case, Set-Cookie as a list), body bytes)."""
    scheme, rest = url.split("://")
    host, port = rest.split(":")
    conn = (http.client.HTTPSConnection(host, int(port), context=TLS, timeout=10)
            if scheme == "https" else http.client.HTTPConnection(host, int(port), timeout=10))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        hs = {}
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                hs.setdefault("set-cookie", []).append(v)
            else:
                hs[k.lower()] = v
        return r.status, hs, r.read()
    finally:
        conn.close()


def cookies_from(set_cookies):
    return "; ".join(c.split(";")[0] for c in set_cookies)


class LiveRun(unittest.TestCase):
    """`infrac run EXAMPLE --time-scale 20` for a test class, up until it ends."""
    EXAMPLE = "examples/webshop.infra"
    TIME_SCALE = "20"

    @classmethod
    def start(cls, extra=()):
        cls.dir = tempfile.mkdtemp(prefix="infrac-run-")
        cls.ready = os.path.join(cls.dir, "ready.json")
        cls.log = open(os.path.join(cls.dir, "run.log"), "w+")
        cls.proc = subprocess.Popen(
            [INFRAC, "run", os.path.join(SOURCE, cls.EXAMPLE), "--time-scale", cls.TIME_SCALE,
             "--ready-file", cls.ready, "--duration", "2h"] + list(extra),
            stdout=cls.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60  # Seven instances and more, on a loaded machine.
        while not os.path.exists(cls.ready):
            if cls.proc.poll() is not None or time.time() > deadline:
                cls.stop()
                raise RuntimeError("infrac run did not get ready:\n" + cls.output())
            time.sleep(0.05)
        with open(cls.ready) as f:
            cls.info = json.load(f)
        cls.https = next((l["url"] for l in cls.info["listeners"] if l["listener"] == "https"),
                         None)
        cls.admin = cls.info["admin"]

    @classmethod
    def output(cls):
        cls.log.flush()
        cls.log.seek(0)
        return cls.log.read()

    @classmethod
    def stop(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(cls.proc.pid, signal.SIGKILL)
                cls.proc.wait()

    @classmethod
    def tearDownClass(cls):
        cls.stop()
        cls.log.close()

    def status(self):
        s, _, body = request(self.admin, "/v1/status")
        self.assertEqual(s, 200)
        return json.loads(body)

    def act(self, action, target):
        s, _, body = request(self.admin, "/v1/actions", method="POST",
                             body=json.dumps({"action": action, "target": target}))
        self.assertEqual(s, 200, body)


class RunTest(LiveRun):
    @classmethod
    def setUpClass(cls):
        cls.start()
        cls.http = next(l["url"] for l in cls.info["listeners"] if l["listener"] == "http")

    def test_1_ready_file_names_everything(self):
        self.assertEqual(self.info["pid"], self.proc.pid)
        self.assertEqual(len(self.info["instances"]), 3)
        for i in self.info["instances"]:
            self.assertTrue(i["url"].startswith("http://127.0.0.1:"), i)
            self.assertEqual(i["group"], "web_asg")
        self.assertEqual({l["port"] for l in self.info["listeners"]}, {80, 443})

    def test_2_http_redirects_to_https(self):
        s, h, _ = request(self.http, "/cart?x=1")
        self.assertEqual(s, 301)
        self.assertEqual(h["location"], self.https + "/cart?x=1")

    def test_3_requests_spread_and_rules_route(self):
        seen = {}
        for _ in range(30):
            s, _, body = request(self.https, "/")
            self.assertEqual(s, 200)
            d = json.loads(body)
            seen[d["instance"]] = seen.get(d["instance"], 0) + 1
            self.assertIn("x-forwarded-for", d["headers"])
            self.assertEqual(d["headers"]["x-forwarded-proto"], "https")
            self.assertEqual(d["headers"]["x-forwarded-port"], "443")
        self.assertEqual(len(seen), 3, seen)
        # /api/* goes to the api target group (its own counters).
        before = {t["name"]: sum(x["requests"] for x in t["targets"])
                  for t in self.status()["target_groups"]}
        for _ in range(5):
            self.assertEqual(request(self.https, "/api/orders")[0], 200)
        after = {t["name"]: sum(x["requests"] for x in t["targets"])
                 for t in self.status()["target_groups"]}
        self.assertEqual(after["api"] - before["api"], 5)
        self.assertEqual(after["web"], before["web"])

    def test_4_sticky_client_is_repicked_when_its_instance_dies(self):
        s, h, body = request(self.https, "/")
        self.assertEqual(s, 200)
        self.assertTrue(any(c.startswith("AWSALB=") for c in h["set-cookie"]), h)
        self.assertTrue(any(c.startswith("AWSALBCORS=") and "SameSite=None" in c
                            for c in h["set-cookie"]), h)
        jar = cookies_from(h["set-cookie"])
        home = json.loads(body)["instance"]
        for _ in range(10):
            d = json.loads(request(self.https, "/", {"Cookie": jar})[2])
            self.assertEqual(d["instance"], home)
        self.act("kill", home)
        s, h, body = request(self.https, "/", {"Cookie": jar})
        self.assertEqual(s, 200)
        moved = json.loads(body)["instance"]
        self.assertNotEqual(moved, home)
        self.assertTrue(any(c.startswith("AWSALB=") for c in h.get("set-cookie", [])))
        jar = cookies_from(h["set-cookie"])
        for _ in range(5):
            self.assertEqual(json.loads(request(self.https, "/", {"Cookie": jar})[2])["instance"],
                             moved)
        # Nobody reaches the killed instance any more.
        for _ in range(20):
            self.assertNotEqual(json.loads(request(self.https, "/")[2])["instance"], home)
        # The group replaces it: three in service again, a new id among them.
        deadline = time.time() + 20
        while time.time() < deadline:
            g = self.status()["groups"][0]
            ids = {i["id"] for i in g["instances"] if i["lifecycle"] == "InService"}
            if g["in_service"] == 3 and home not in ids:
                break
            time.sleep(0.1)
        else:
            self.fail("the group did not replace " + home + ":\n" + json.dumps(g))
        states = {t["id"]: t["state"] for t in self.status()["target_groups"][0]["targets"]}
        self.assertEqual(states[home], "unused")

    def wait_for(self, what, check, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            st = self.status()
            if check(st):
                return st
            time.sleep(0.05)
        self.fail("%s did not happen:\n%s" % (what, json.dumps(self.status())))

    def events(self):
        s, _, body = request(self.admin, "/v1/events")
        self.assertEqual(s, 200)
        return json.loads(body)["events"]

    def test_4b_scale_in_drains_without_failing_a_request(self):
        web = lambda st: [t for t in st["target_groups"][0]["targets"] if t["state"] != "unused"]
        self.wait_for("three healthy web targets",
                      lambda st: [t["state"] for t in web(st)] == ["healthy"] * 3)
        seen = len(self.events())
        s, _, body = request(self.admin, "/v1/actions", method="POST",
                             body=json.dumps({"action": "slow", "target": "web_asg",
                                              "latency_ms": 800}))
        self.assertEqual(s, 200, body)
        # Slow requests on every instance, then a scale-in while they are in flight.
        results = []
        threads = [threading.Thread(target=lambda: results.append(request(self.https, "/")[0]))
                   for _ in range(9)]
        for t in threads:
            t.start()
        self.wait_for("nine requests in flight",
                      lambda st: sum(t["in_flight"] for t in web(st)) == 9, 5)
        s, _, body = request(self.admin, "/v1/actions", method="POST",
                             body=json.dumps({"action": "scale", "target": "web_asg",
                                              "desired": 2}))
        self.assertEqual(s, 200, body)
        for t in threads:
            t.join(15)
        self.assertEqual(results, [200] * 9)
        drained = [e["text"] for e in self.events()[seen:]
                   if "-> draining" in e["text"] and e["who"] == "web"]
        self.assertEqual(len(drained), 1, drained)
        self.assertIn("3 in flight", drained[0])  # The in-flight requests were waited for.
        self.wait_for("the scale-in", lambda st: st["groups"][0]["in_service"] == 2)
        # Back to normal speed and capacity for what follows.
        request(self.admin, "/v1/actions", method="POST",
                body=json.dumps({"action": "slow", "target": "web_asg", "latency_ms": 0}))
        request(self.admin, "/v1/actions", method="POST",
                body=json.dumps({"action": "scale", "target": "web_asg", "desired": 3}))
        self.wait_for("three in service", lambda st: st["groups"][0]["in_service"] == 3)

    def test_4c_events_are_logged_and_streamed(self):
        texts = [e["text"] for e in self.events()]
        self.assertTrue(any(t.endswith(" killed") for t in texts), texts[-20:])
        seqs = [e["seq"] for e in self.events()]
        self.assertEqual(seqs, sorted(seqs))
        # A stream from now on: the next action's note arrives on it.
        host, port = self.admin.rsplit("/", 1)[-1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/v1/events?follow=1&since=%d" % seqs[-1])
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("content-type"), "text/event-stream")
        alive = next(i["id"] for i in self.status()["groups"][0]["instances"]
                     if i["lifecycle"] == "InService")
        self.act("restore_health", alive)
        deadline = time.time() + 10
        got = None
        while time.time() < deadline and got is None:
            line = r.fp.readline().decode()
            if line.startswith("data: "):
                e = json.loads(line[6:])
                self.assertGreater(e["seq"], seqs[-1])
                if "answers health checks with 200 again" in e["text"]:
                    got = e
        conn.close()
        self.assertIsNotNone(got, "the action's note never came on the stream")
        # infrac ctl events prints the log as the timeline does.
        out = subprocess.run([INFRAC, "ctl", "--admin", self.admin, "events"],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("answers health checks with 200 again", out.stdout)

    def test_5_admin_rejects_what_it_cannot_do(self):
        s, _, body = request(self.admin, "/v1/actions", method="POST",
                             body=json.dumps({"action": "explode", "target": "i-1"}))
        self.assertEqual(s, 400)
        self.assertIn("unknown action", json.loads(body)["error"])
        s, _, body = request(self.admin, "/v1/actions", method="POST",
                             body=json.dumps({"action": "kill", "target": "nothing.here"}))
        self.assertEqual(s, 400)
        self.assertEqual(request(self.admin, "/nope")[0], 404)

    def test_6_nothing_listens_beyond_loopback(self):
        ports = set()
        for url in [l["url"] for l in self.info["listeners"]] + [self.admin] + \
                   [i["url"] for i in self.info["instances"]]:
            ports.add(int(url.rsplit(":", 1)[1]))
        listening = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for line in f.readlines()[1:]:
                    local, state = line.split()[1], line.split()[3]
                    addr, port = local.split(":")
                    if state == "0A" and int(port, 16) in ports:
                        listening.append((table, addr))
        self.assertTrue(listening)
        for table, addr in listening:
            self.assertIn(addr, ("0100007F", "00000000000000000000000001000000"), (table, addr))

    def test_7_sigterm_stops_everything(self):
        pids = [i["pid"] for i in self.status()["groups"][0]["instances"] if i["pid"] > 0]
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=15), 0, self.output())
        for pid in pids:
            alive = True
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                alive = False
            self.assertFalse(alive, "instance process %d survived" % pid)
        self.assertFalse(os.path.exists(self.ready))


class RunNlbTest(LiveRun):
    """The NLB example: a TCP lobby and UDP game traffic through the NLB to
    the example's own game server (examples/apps/game-server), health-checked
    on its HTTP port."""
    EXAMPLE = "examples/nlb_game.infra"

    @classmethod
    def setUpClass(cls):
        cls.start()

    def test_tcp_and_udp_reach_the_game_servers(self):
        info = self.info
        self.assertEqual(len(info["instances"]), 4)
        tcp = next(l["url"] for l in info["listeners"] if l["protocol"] == "tcp")
        udp = next(l["url"] for l in info["listeners"] if l["protocol"] == "udp")
        self.assertTrue(tcp.startswith("tcp://127.0.0.1:") and udp.startswith("udp://127.0.0.1:"))
        ids = set()
        for _ in range(8):
            with socket.create_connection(("127.0.0.1", int(tcp.rsplit(":", 1)[1])),
                                          timeout=5) as c:
                f = c.makefile("rwb")
                greeting = f.readline().decode()
                self.assertTrue(greeting.startswith("welcome to i-"), greeting)
                f.write(b"join\n")
                f.flush()
                self.assertTrue(f.readline().decode().endswith(": join\n"))
                ids.add(greeting.split()[-1])
        # source_ip stickiness: every connection from 127.0.0.1 lands on one server.
        self.assertEqual(len(ids), 1, ids)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        u.sendto(b"ping", ("127.0.0.1", int(udp.rsplit(":", 1)[1])))
        reply, _ = u.recvfrom(1000)
        self.assertTrue(reply.startswith(b"i-") and reply.endswith(b": ping"), reply)
        u.close()
        self.stop()
        self.assertEqual(self.proc.returncode, 0)


class RunZkTest(LiveRun):
    """The ZooKeeper example: the embedded ensemble speaks ZooKeeper's protocol
    (kazoo reads it), the echo instances run the election as real clients,
    and a killed leader's session expires and the next member takes over."""
    EXAMPLE = "examples/zk_election.infra"
    TIME_SCALE = "10"

    @classmethod
    def setUpClass(cls):
        cls.start()

    def election(self):
        return self.status()["coordination"][0]["elections"][0]

    def wait_for(self, what, check, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            e = self.election()
            if check(e):
                return e
            time.sleep(0.05)
        self.fail(what + ": " + json.dumps(self.election()))

    def test_the_instances_elect_through_the_embedded_ensemble(self):
        from kazoo.client import KazooClient
        coord = self.info["coordination"][0]
        self.assertEqual(coord["name"], "zk")
        self.assertEqual(len(coord["servers"]), 3)
        zk = KazooClient(hosts=coord["connect"], timeout=10)
        zk.start(timeout=10)
        try:
            e = self.wait_for("a leader", lambda e: e["leader"] is not None)
            # Every member holds an ephemeral sequential znode with its id.
            kids = sorted(zk.get_children("/election/scheduler"))
            self.assertEqual(len(kids), 3, kids)
            owners = [zk.get("/election/scheduler/" + k)[0].decode() for k in kids]
            self.assertEqual(sorted(owners), sorted(e["members"]))
            self.assertEqual(owners[0], e["leader"])  # The lowest leads.
            self.assertEqual(sorted(zk.get_children("/services/workers")), sorted(e["members"]))
            # Kill the leader: its znode stays until its session expires, then the next leads.
            old = e["leader"]
            self.act("kill", old)
            killed = time.time()
            e = self.wait_for("a new leader", lambda e: e["leader"] not in (None, old))
            took = time.time() - killed
            self.assertEqual(e["leader"], owners[1], (owners, e))
            # Session timeout 6 s at --time-scale 10: not before 0.6 s.
            self.assertGreater(took, 0.5, "the new leader came before the session expired")
            self.assertNotIn(kids[0], zk.get_children("/election/scheduler"))
            self.assertEqual(e["leader_changes"], 1)
        finally:
            zk.stop()
            zk.close()
        self.stop()
        self.assertEqual(self.proc.returncode, 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
