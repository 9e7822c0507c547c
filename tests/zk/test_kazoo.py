#!/usr/bin/env python3
"""kazoo (Debian's python3-kazoo) against a backend.

    INFRAC_ZK_BACKEND=embedded|real INFRAC_ZK_BINARY=.../infrac-zk test_kazoo.py

embedded runs infrac-zk, real a three-server ZooKeeper ensemble (zk_ensemble.py);
both take the same control lines on stdin. The backend starts once per run.
"""
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (BadVersionError, NoChildrenForEphemeralsError, NodeExistsError,
                              NoNodeError, NotEmptyError, RolledBackError)
from kazoo.protocol.states import EventType

HERE = os.path.dirname(os.path.abspath(__file__))
TICK_MS = 200
backend = None


class Backend:
    def __init__(self, kind):
        if kind == "real":
            cmd = ["/usr/bin/python3", os.path.join(HERE, "zk_ensemble.py"), "--tick", str(TICK_MS)]
        else:
            cmd = [os.environ["INFRAC_ZK_BINARY"], "--servers", "3", "--tick", "%dms" % TICK_MS]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     preexec_fn=_die_with_parent)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError("backend %s did not start: %r" % (kind, line))
        self.hosts = line[1]
        self.servers = self.hosts.split(",")
        self.lock = threading.Lock()

    def command(self, line):
        with self.lock:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            return self.proc.stdout.readline().strip()

    def kill(self, i):
        assert self.command("kill %d" % i) == "ok"

    def restore(self, i):
        return self.command("restore %d" % i) == "ok"

    def stop(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def _die_with_parent():
    import ctypes
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)


def setUpModule():
    global backend
    logging.basicConfig(level=logging.CRITICAL)
    backend = Backend(os.environ.get("INFRAC_ZK_BACKEND", "embedded"))


def tearDownModule():
    if backend:
        backend.stop()


def client(timeout=4.0):
    zk = KazooClient(hosts=backend.hosts, timeout=timeout)
    zk.start(timeout=15)
    return zk


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


class KazooSuite(unittest.TestCase):
    def setUp(self):
        self.zk = client()

    def tearDown(self):
        self.zk.stop()
        self.zk.close()

    def test_create_get_set_delete(self):
        p = "/k-crud"
        self.assertEqual(self.zk.create(p, b"one"), p)
        data, st = self.zk.get(p)
        self.assertEqual((data, st.version, st.data_length, st.ephemeralOwner), (b"one", 0, 3, 0))
        st2 = self.zk.set(p, b"two", version=0)
        self.assertEqual(st2.version, 1)
        self.assertGreater(st2.mzxid, st.mzxid)
        with self.assertRaises(BadVersionError):
            self.zk.set(p, b"x", version=0)
        self.zk.create(p + "/kid", b"")
        self.assertEqual(self.zk.get_children(p), ["kid"])
        kids, pst = self.zk.get_children(p, include_data=True)
        self.assertEqual((kids, pst.numChildren, pst.cversion), (["kid"], 1, 1))
        with self.assertRaises(NotEmptyError):
            self.zk.delete(p)
        self.zk.delete(p, recursive=True)
        self.assertIsNone(self.zk.exists(p))

    def test_errors(self):
        p = "/k-errors"
        with self.assertRaises(NoNodeError):
            self.zk.create(p + "/a/b")
        self.zk.create(p)
        with self.assertRaises(NodeExistsError):
            self.zk.create(p)
        with self.assertRaises(NoNodeError):
            self.zk.get(p + "/none")
        with self.assertRaises(NoNodeError):
            self.zk.delete(p + "/none")
        self.zk.create(p + "/eph", ephemeral=True)
        with self.assertRaises(NoChildrenForEphemeralsError):
            self.zk.create(p + "/eph/kid")

    def test_sequence_numbers(self):
        p = "/k-seq"
        self.zk.create(p)
        a = self.zk.create(p + "/n_", sequence=True, ephemeral=True)
        b = self.zk.create(p + "/n_", sequence=True)
        self.assertEqual((a, b), (p + "/n_0000000000", p + "/n_0000000001"))
        self.zk.delete(a)
        self.assertEqual(self.zk.create(p + "/n_", sequence=True), p + "/n_0000000002")
        self.assertEqual(self.zk.create(p + "/", sequence=True), p + "/0000000003")

    def test_watches(self):
        p = "/k-watch"
        events = []
        got = threading.Event()

        def watch(ev):
            events.append((ev.type, ev.path))
            got.set()

        self.assertIsNone(self.zk.exists(p, watch=watch))
        other = client()
        try:
            other.create(p, b"x")
            self.assertTrue(got.wait(5))
            got.clear()
            self.zk.get(p, watch=watch)
            other.set(p, b"y")
            self.assertTrue(got.wait(5))
            got.clear()
            other.set(p, b"z")  # one-shot: not reported
            self.zk.get_children(p, watch=watch)
            other.create(p + "/kid")
            self.assertTrue(got.wait(5))
            got.clear()
            self.zk.exists(p + "/kid", watch=watch)
            other.delete(p + "/kid")
            self.assertTrue(got.wait(5))
            self.zk.sync(p)
            self.zk.exists(p)
            self.assertEqual(events, [(EventType.CREATED, p), (EventType.CHANGED, p),
                                      (EventType.CHILD, p), (EventType.DELETED, p + "/kid")])
        finally:
            other.stop()
            other.close()

    def test_transaction_is_all_or_nothing(self):
        p = "/k-multi"
        self.zk.create(p)
        t = self.zk.transaction()
        t.create(p + "/a")
        t.check(p, 3)
        results = t.commit()
        self.assertIsInstance(results[0], RolledBackError)
        self.assertIsInstance(results[1], BadVersionError)
        self.assertIsNone(self.zk.exists(p + "/a"))
        t = self.zk.transaction()
        t.create(p + "/a")
        t.check(p, 0)
        t.set_data(p, b"done")
        self.assertEqual(t.commit()[0], p + "/a")
        self.assertEqual(self.zk.get(p)[0], b"done")

    def test_ephemerals_go_with_a_closed_session(self):
        p = "/k-close"
        self.zk.create(p)
        owner = client()
        owner.create(p + "/e", ephemeral=True)
        gone = threading.Event()
        self.zk.exists(p + "/e", watch=lambda ev: gone.set())
        owner.stop()
        owner.close()
        self.assertTrue(gone.wait(5))
        self.assertIsNone(self.zk.exists(p + "/e"))

    def test_paused_client_expires_and_learns_it(self):
        p = "/k-expiry"
        self.zk.create(p)
        child = subprocess.Popen([sys.executable, __file__, "--hold-session", backend.hosts, p + "/e"],
                                 stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        try:
            self.assertEqual(child.stdout.readline().strip(), "held")
            gone = threading.Event()
            self.assertIsNotNone(self.zk.exists(p + "/e", watch=lambda ev: gone.set()))
            child.send_signal(signal.SIGSTOP)
            self.assertTrue(gone.wait(10))
            child.send_signal(signal.SIGCONT)
            self.assertEqual(child.stdout.readline().strip(), "expired")
        finally:
            child.kill()
            child.wait()
            child.stdout.close()

    def test_kazoo_election_recipe(self):
        p = "/k-election"
        leaders = []
        second = client()
        started = threading.Event()

        def lead(name):
            leaders.append(name)
            started.set()
            time.sleep(60)  # holds leadership until its session goes

        e1 = self.zk.Election(p, "one")
        e2 = second.Election(p, "two")
        t1 = threading.Thread(target=e1.run, args=(lead, "one"), daemon=True)
        t1.start()
        self.assertTrue(started.wait(10))
        started.clear()
        t2 = threading.Thread(target=e2.run, args=(lead, "two"), daemon=True)
        t2.start()
        time.sleep(0.3)
        self.assertEqual(leaders, ["one"])
        self.assertEqual(sorted(e2.contenders()), ["one", "two"])
        self.zk.stop()  # its session closes: its znode goes
        self.assertTrue(started.wait(10))
        self.assertEqual(leaders, ["one", "two"])
        second.stop()
        second.close()
        self.zk = client()

    def test_client_moves_when_its_server_is_killed(self):
        p = "/k-move"
        self.zk.create(p, ephemeral=True)
        session = self.zk.client_id[0]
        host, port = self.zk._connection._socket.getpeername()[:2]
        sid = backend.servers.index("127.0.0.1:%d" % port) + 1
        states = []
        self.zk.add_listener(lambda s: states.append(s))
        try:
            backend.kill(sid)
            self.assertTrue(wait_for(lambda: KazooState.SUSPENDED in states, 5))
            self.assertTrue(wait_for(lambda: self.zk.state == KazooState.CONNECTED, 15))
            self.assertEqual(self.zk.client_id[0], session)
            self.assertEqual(self.zk.exists(p).ephemeralOwner, session)
            self.assertNotEqual(self.zk._connection._socket.getpeername()[1], port)
        finally:
            backend.restore(sid)

    def test_without_quorum_every_server_refuses(self):
        p = "/k-quorum"
        self.zk.create(p, ephemeral=True)
        session = self.zk.client_id[0]
        try:
            backend.kill(1)
            backend.kill(2)
            self.assertTrue(wait_for(lambda: self.zk.state == KazooState.SUSPENDED, 10))
            time.sleep(3 * TICK_MS / 1000)
            self.assertEqual(self.zk.state, KazooState.SUSPENDED)
            self.assertTrue(backend.restore(1))
            self.assertTrue(wait_for(lambda: self.zk.state == KazooState.CONNECTED, 30))
            self.assertEqual(self.zk.client_id[0], session)
            self.assertIsNotNone(self.zk.exists(p))
        finally:
            backend.restore(1)
            backend.restore(2)


def hold_session(hosts, path):
    """The helper child: a 400 ms session with an ephemeral znode; says "held",
    then "expired" when kazoo learns its session expired."""
    logging.basicConfig(level=logging.CRITICAL)
    zk = KazooClient(hosts=hosts, timeout=2 * TICK_MS / 1000)
    lost = threading.Event()
    zk.add_listener(lambda s: s == KazooState.LOST and lost.set())
    zk.start(timeout=15)
    zk.create(path, ephemeral=True)
    print("held", flush=True)
    if lost.wait(60):
        print("expired", flush=True)
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--hold-session":
        hold_session(sys.argv[2], sys.argv[3])
    unittest.main(verbosity=2)
