#!/usr/bin/env python3
"""The session store's suite, driven by real clients.

The same checks run against the embedded store (`infrac-store --replica`)
or a real Redis (two `redis-server` processes on 127.0.0.1, ephemeral ports,
no persistence, a temporary directory, the second started with
`--replicaof`). The clients are `redis-cli` (Debian redis-tools) and Python's
`redis` module (python3-redis); raw sockets only for inline commands.
Everything started here is stopped here, also on failure (and the servers
die with this process: PR_SET_PDEATHSIG).

usage: store_suite.py --backend embedded|redis --infrac-store PATH
                      --redis-server PATH --redis-cli PATH
"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import redis

PR_SET_PDEATHSIG = 1


def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (redis.exceptions.ConnectionError, OSError):
            pass
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


class Servers:
    """Starts the backend's two nodes; `stop` ends every process it started."""

    def __init__(self, args):
        self.args = args
        self.procs = []
        self.dir = tempfile.mkdtemp(prefix="infrac-store-suite-")
        self.primary = self.replica = None

    def spawn(self, argv, log):
        out = open(os.path.join(self.dir, log), "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True,
                             preexec_fn=die_with_parent)
        self.procs.append(p)
        return p

    def start(self):
        if self.args.backend == "embedded":
            ready = os.path.join(self.dir, "ready.json")
            p = self.spawn([self.args.infrac_store, "--replica", "--ready-file", ready],
                           "infrac-store.log")
            wait_until(lambda: os.path.exists(ready) or p.poll() is not None,
                       what="infrac-store's ready file")
            if p.poll() is not None:
                raise AssertionError("infrac-store exited: " + self.log("infrac-store.log"))
            nodes = json.load(open(ready))["nodes"]
            ports = [int(n["address"].rsplit(":", 1)[1]) for n in nodes]
            self.primary, self.replica = ports
        else:
            for role in ("primary", "replica"):
                for attempt in range(5):
                    port = free_port()
                    d = os.path.join(self.dir, role)
                    os.makedirs(d, exist_ok=True)
                    argv = [self.args.redis_server, "--port", str(port),
                            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                            "--dir", d, "--daemonize", "no", "--logfile", "",
                            "--repl-diskless-sync-delay", "0"]
                    if role == "replica":
                        argv += ["--replicaof", "127.0.0.1", str(self.primary)]
                    p = self.spawn(argv, role + ".log")
                    try:
                        wait_until(lambda: p.poll() is not None or
                                   redis.Redis(port=port).ping(), what=role)
                    except AssertionError:
                        pass
                    if p.poll() is None:
                        break
                else:
                    raise AssertionError("redis-server did not start: " +
                                         self.log(role + ".log"))
                if role == "primary":
                    self.primary = port
                else:
                    self.replica = port
        wait_until(lambda: redis.Redis(port=self.replica).info("replication")
                   .get("master_link_status") == "up", what="the replica's link")

    def log(self, name):
        try:
            return open(os.path.join(self.dir, name)).read()[-2000:]
        except OSError:
            return "(no log)"

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Suite:
    def __init__(self, args, servers):
        self.args = args
        self.s = servers
        self.failures = []

    # --- clients
    def cli(self, port, *argv, stdin=None):
        r = subprocess.run([self.args.redis_cli, "-h", "127.0.0.1", "-p", str(port)]
                           + list(argv), input=stdin, capture_output=True,
                           timeout=10)
        return r.stdout.decode()

    def raw(self, port, data, wait_close=False):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(data)
            out = b""
            s.settimeout(0.3 if not wait_close else 2)
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        out += b"<closed>"
                        break
                    out += chunk
            except socket.timeout:
                pass
        return out

    def py(self, port=None):
        return redis.Redis(host="127.0.0.1", port=port or self.s.primary,
                           decode_responses=True, socket_timeout=5)

    def eq(self, got, want, what):
        if got != want:
            self.failures.append("%s: got %r, want %r" % (what, got, want))

    def error_of(self, f):
        try:
            f()
        except redis.exceptions.ResponseError as e:
            return str(e)
        return None

    # --- the checks
    def test_strings_with_redis_cli(self):
        p = self.s.primary
        self.eq(self.cli(p, "PING"), "PONG\n", "PING")
        self.eq(self.cli(p, "SET", "k", "hello world"), "OK\n", "SET")
        self.eq(self.cli(p, "GET", "k"), "hello world\n", "GET")
        self.eq(self.cli(p, "GET", "nope"), "\n", "GET missing")
        self.eq(self.cli(p, "SET", "k", "v2", "NX"), "\n", "SET NX on an existing key")
        self.eq(self.cli(p, "SET", "k", "v2", "XX"), "OK\n", "SET XX")
        self.eq(self.cli(p, "SET", "new", "v", "XX"), "\n", "SET XX on a missing key")
        self.eq(self.cli(p, "SET", "new", "v", "NX", "EX", "100"), "OK\n", "SET NX EX")
        self.eq(self.cli(p, "TTL", "new"), "100\n", "TTL")
        self.eq(self.cli(p, "EXPIRE", "k", "50"), "1\n", "EXPIRE")
        self.eq(self.cli(p, "TTL", "k"), "50\n", "TTL after EXPIRE")
        self.eq(self.cli(p, "PEXPIRE", "k", "5000"), "1\n", "PEXPIRE")
        pttl = int(self.cli(p, "PTTL", "k"))
        if not 4000 <= pttl <= 5000:
            self.failures.append("PTTL after PEXPIRE 5000: %d" % pttl)
        self.eq(self.cli(p, "TTL", "nope"), "-2\n", "TTL missing")
        self.eq(self.cli(p, "SET", "plain", "x"), "OK\n", "SET")
        self.eq(self.cli(p, "TTL", "plain"), "-1\n", "TTL without expiry")
        self.eq(self.cli(p, "EXISTS", "k", "plain", "nope", "k"), "3\n", "EXISTS")
        self.eq(self.cli(p, "DEL", "k", "plain", "nope"), "2\n", "DEL")
        self.eq(self.cli(p, "INCR", "n"), "1\n", "INCR")
        self.eq(self.cli(p, "INCR", "n"), "2\n", "INCR")
        self.eq(self.cli(p, "SELECT", "0"), "OK\n", "SELECT 0")
        self.eq(self.cli(p, "FLUSHDB"), "OK\n", "FLUSHDB")
        self.eq(self.cli(p, "EXISTS", "n"), "0\n", "EXISTS after FLUSHDB")

    def test_hashes_with_redis_cli(self):
        p = self.s.primary
        self.eq(self.cli(p, "HSET", "cart:1", "apple", "2", "pear", "1"), "2\n", "HSET")
        self.eq(self.cli(p, "HSET", "cart:1", "apple", "3", "fig", "5"), "1\n", "HSET update")
        self.eq(self.cli(p, "HGET", "cart:1", "apple"), "3\n", "HGET")
        self.eq(self.cli(p, "HGET", "cart:1", "kiwi"), "\n", "HGET missing")
        self.eq(self.cli(p, "HDEL", "cart:1", "pear", "kiwi"), "1\n", "HDEL")
        self.eq(self.cli(p, "HSET", "cart:1", "pear", "4"), "1\n", "HSET again")
        self.eq(self.cli(p, "HGETALL", "cart:1"),
                "apple\n3\nfig\n5\npear\n4\n", "HGETALL in insertion order")
        self.eq(self.cli(p, "HGETALL", "nope"), "\n", "HGETALL missing")
        self.eq(self.cli(p, "HDEL", "cart:1", "apple", "fig", "pear"), "3\n", "HDEL all")
        self.eq(self.cli(p, "EXISTS", "cart:1"), "0\n", "an emptied hash is deleted")

    def test_error_words(self):
        p = self.s.primary
        self.cli(p, "SET", "s", "text")
        self.cli(p, "HSET", "h", "f", "v")
        wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value\n"
        cases = [
            (["FOO", "a", "b"], "ERR unknown command 'FOO', with args beginning with: 'a' 'b' \n"),
            (["nosuch"], "ERR unknown command 'nosuch', with args beginning with: \n"),
            (["GET"], "ERR wrong number of arguments for 'get' command\n"),
            (["SET", "a"], "ERR wrong number of arguments for 'set' command\n"),
            (["HSET", "h", "f"], "ERR wrong number of arguments for 'hset' command\n"),
            (["HSET", "h", "f", "v", "g"], "ERR wrong number of arguments for 'hset' command\n"),
            (["GET", "h"], wrongtype),
            (["HGET", "s", "f"], wrongtype),
            (["INCR", "h"], wrongtype),
            (["INCR", "s"], "ERR value is not an integer or out of range\n"),
            (["EXPIRE", "s", "soon"], "ERR value is not an integer or out of range\n"),
            (["SET", "a", "b", "EX", "x"], "ERR value is not an integer or out of range\n"),
            (["SET", "a", "b", "EX", "0"], "ERR invalid expire time in 'set' command\n"),
            (["SET", "a", "b", "NX", "XX"], "ERR syntax error\n"),
            (["SET", "a", "b", "PX"], "ERR syntax error\n"),
            (["SET", "a", "b", "FOO"], "ERR syntax error\n"),
            (["SELECT", "x"], "ERR value is not an integer or out of range\n"),
            (["AUTH", "pw"], "ERR AUTH <password> called without any password configured "
                             "for the default user. Are you sure your configuration is correct?\n"),
            (["CONFIG", "nope"], "ERR unknown subcommand 'nope'. Try CONFIG HELP.\n"),
            (["CLIENT", "nope"], "ERR unknown subcommand 'nope'. Try CLIENT HELP.\n"),
            (["PING", "a", "b"], "ERR wrong number of arguments for 'ping' command\n"),
            (["EXPIRE", "s", "10", "NX", "XX"],
             "ERR NX and XX, GT or LT options at the same time are not compatible\n"),
        ]
        # redis-cli prints an error reply followed by an empty line.
        for argv, want in cases:
            self.eq(self.cli(p, *argv), want + "\n", " ".join(argv))
        self.cli(p, "SET", "big", "9223372036854775807")
        self.eq(self.cli(p, "INCR", "big"), "ERR increment or decrement would overflow\n\n",
                "INCR overflow")
        r = self.py()
        self.eq(self.error_of(lambda: r.incr("s")),
                "value is not an integer or out of range", "redis-py INCR error")
        self.eq(self.error_of(lambda: r.get("h")),
                "WRONGTYPE Operation against a key holding the wrong kind of value",
                "redis-py WRONGTYPE")

    def test_python_client(self):
        r = self.py()
        self.eq(r.ping(), True, "ping")
        self.eq(r.set("user:1", "ada"), True, "set")
        self.eq(r.get("user:1"), "ada", "get")
        self.eq(r.set("user:1", "bob", nx=True), None, "set nx")
        self.eq(r.set("user:1", "bob", xx=True, px=60000), True, "set xx px")
        ttl = r.pttl("user:1")
        if not 59000 <= ttl <= 60000:
            self.failures.append("pttl %r" % ttl)
        self.eq(r.hset("cart:9", mapping={"apple": "1", "fig": "2"}), 2, "hset mapping")
        self.eq(r.hgetall("cart:9"), {"apple": "1", "fig": "2"}, "hgetall")
        self.eq(r.hdel("cart:9", "fig"), 1, "hdel")
        self.eq(r.hget("cart:9", "apple"), "1", "hget")
        self.eq(r.incr("visits"), 1, "incr")
        self.eq(r.exists("visits", "cart:9", "nope"), 2, "exists")
        self.eq(r.delete("visits"), 1, "delete")
        self.eq(r.expire("cart:9", 30), True, "expire")
        self.eq(r.ttl("cart:9"), 30, "ttl")
        self.eq(r.client_setname("carts"), True, "client setname")
        self.eq(r.client_getname(), "carts", "client getname")
        self.eq(r.flushdb(), True, "flushdb")
        self.eq(r.dbsize(), 0, "dbsize")
        named = redis.Redis(port=self.s.primary, db=0, client_name="shop",
                            decode_responses=True)
        self.eq(named.get("user:1"), None, "a client with a name and SELECT 0")

    def test_pipelining(self):
        r = self.py()
        pipe = r.pipeline(transaction=False)
        for i in range(1000):
            pipe.set("p:%d" % i, str(i))
            pipe.incr("p:count")
        pipe.get("p:999")
        res = pipe.execute()
        self.eq(len(res), 2001, "pipeline replies")
        self.eq(res[-2], 1000, "the last INCR of the pipeline")
        self.eq(res[-1], "999", "the GET at the end of the pipeline")
        # redis-cli --pipe sends its input raw (inline commands here) and
        # counts the replies.
        data = "".join("SET q:%d %d\r\nINCR q:n\r\n" % (i, i) for i in range(500))
        out = self.cli(self.s.primary, "--pipe", stdin=data.encode())
        self.eq(out.strip().splitlines()[-1], "errors: 0, replies: 1000", "redis-cli --pipe")
        self.eq(r.get("q:n"), "500", "after redis-cli --pipe")
        # Several commands in one packet, a command split across packets.
        with socket.create_connection(("127.0.0.1", self.s.primary), timeout=2) as s:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n*2\r\n$4\r\nIN")
            time.sleep(0.05)
            s.sendall(b"CR\r\n$1\r\nz\r\n*2\r\n$3\r\nGET\r\n$1\r\nz\r\n")
            want = b"+OK\r\n:2\r\n$1\r\n2\r\n"
            got = b""
            while len(got) < len(want):
                chunk = s.recv(100)
                if not chunk:
                    break
                got += chunk
            self.eq(got, want, "a split pipelined request")

    def test_inline_and_protocol(self):
        p = self.s.primary
        self.eq(self.raw(p, b"PING\r\n"), b"+PONG\r\n", "inline PING")
        self.eq(self.raw(p, b"set k \"a b\"\r\nget k\r\n"), b"+OK\r\n$3\r\na b\r\n",
                "inline with quotes")
        self.eq(self.raw(p, b"ping\nping hi\n"), b"+PONG\r\n$2\r\nhi\r\n", "inline with \\n")
        self.eq(self.raw(p, b"set a \"b\r\n", wait_close=True),
                b"-ERR Protocol error: unbalanced quotes in request\r\n<closed>",
                "unbalanced quotes")
        self.eq(self.raw(p, b"*1\r\n+PING\r\n", wait_close=True),
                b"-ERR Protocol error: expected '$', got '+'\r\n<closed>", "not a bulk")
        self.eq(self.raw(p, b"*1\r\n$-5\r\n", wait_close=True),
                b"-ERR Protocol error: invalid bulk length\r\n<closed>", "bad bulk length")
        self.eq(self.raw(p, b"QUIT\r\nPING\r\n", wait_close=True), b"+OK\r\n<closed>", "QUIT")
        # What clients send on connect.
        self.eq(self.raw(p, b"CONFIG GET save\r\n"), b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n",
                "CONFIG GET save (redis-benchmark)")
        self.eq(self.raw(p, b"CONFIG GET appendonly\r\n"),
                b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n", "CONFIG GET appendonly")
        hello = self.raw(p, b"HELLO 2\r\n")
        if not hello.startswith(b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n"):
            self.failures.append("HELLO 2: %r" % hello)
        self.eq(self.raw(p, b"HELLO 4\r\n"), b"-NOPROTO unsupported protocol version\r\n",
                "HELLO 4")
        count = self.raw(p, b"COMMAND COUNT\r\n")
        if not count.startswith(b":"):
            self.failures.append("COMMAND COUNT: %r" % count)

    def test_expiry(self):
        r = self.py()
        # Times leave room for a loaded machine: a check right after a SET
        # may come a few hundred milliseconds late.
        r.set("short", "v", px=600)
        ttl = r.pttl("short")
        if not 0 < ttl <= 600:
            self.failures.append("PTTL right after SET PX 600: %r" % ttl)
        self.eq(r.get("short"), "v", "GET before expiry")
        time.sleep(0.7)
        self.eq(r.get("short"), None, "GET after expiry (lazy)")
        self.eq(r.exists("short"), 0, "EXISTS after expiry")
        self.eq(r.ttl("short"), -2, "TTL after expiry")
        # Active expiry: nothing reads these keys, DBSIZE still drops to 0.
        pipe = r.pipeline(transaction=False)
        for i in range(50):
            pipe.set("act:%d" % i, "v", px=600)
        pipe.dbsize()
        self.eq(pipe.execute()[-1], 50, "DBSIZE before expiry")
        wait_until(lambda: r.dbsize() == 0, timeout=5, what="active expiry")
        r.set("e", "v")
        self.eq(r.expire("e", -1), True, "EXPIRE in the past")
        self.eq(r.exists("e"), 0, "a key expired in the past is deleted")

    def test_replica_failover(self):
        # Last: it shuts the primary down.
        p, rp = self.s.primary, self.s.replica
        r = self.py()
        r.hset("cart:42", mapping={"apple": "2", "pear": "1"})
        r.set("session:42", "ada")
        self.eq(self.cli(p, "WAIT", "1", "2000"), "1\n", "WAIT for the replica")
        replica = self.py(rp)
        self.eq(replica.hgetall("cart:42"), {"apple": "2", "pear": "1"}, "the replica's copy")
        self.eq(self.cli(rp, "SET", "x", "y"),
                "READONLY You can't write against a read only replica.\n\n",
                "a replica's READONLY")
        self.eq(self.cli(rp, "ROLE").splitlines()[0], "slave", "ROLE of the replica")
        self.cli(p, "SHUTDOWN", "NOSAVE")
        wait_until(lambda: subprocess.run(
            [self.args.redis_cli, "-p", str(p), "PING"], capture_output=True,
            timeout=5).stdout.strip() != b"PONG", timeout=15, what="the primary to go")
        self.eq(self.cli(rp, "REPLICAOF", "NO", "ONE"), "OK\n", "REPLICAOF NO ONE")
        self.eq(self.cli(rp, "ROLE").splitlines()[0], "master", "ROLE after failover")
        self.eq(self.cli(rp, "GET", "session:42"), "ada\n", "the data after failover")
        self.eq(self.cli(rp, "HGET", "cart:42", "apple"), "2\n", "the cart after failover")
        self.eq(self.cli(rp, "SET", "after", "failover"), "OK\n", "a write after failover")
        try:
            socket.create_connection(("127.0.0.1", p), timeout=1).close()
            self.failures.append("the shut-down primary still accepts connections")
        except OSError:
            pass

    def run(self):
        tests = [t for t in dir(self) if t.startswith("test_") and t != "test_replica_failover"]
        tests.append("test_replica_failover")
        for name in tests:
            before = len(self.failures)
            try:
                if name != "test_replica_failover":
                    self.py().flushdb()
                getattr(self, name)()
            except Exception:
                self.failures.append(name + " raised:\n" + traceback.format_exc())
            status = "ok" if len(self.failures) == before else "FAILED"
            print("%-32s %s" % (name, status), flush=True)
            for f in self.failures[before:]:
                print("    " + f)
        return not self.failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["embedded", "redis"], required=True)
    ap.add_argument("--infrac-store", required=True)
    ap.add_argument("--redis-server", required=True)
    ap.add_argument("--redis-cli", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    servers = Servers(args)
    try:
        servers.start()
        print("backend %s: primary 127.0.0.1:%d, replica 127.0.0.1:%d" %
              (args.backend, servers.primary, servers.replica), flush=True)
        ok = Suite(args, servers).run()
    finally:
        servers.stop()
    print("store suite (%s): %s" % (args.backend, "passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
