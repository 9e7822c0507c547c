#!/usr/bin/env python3
"""A real ZooKeeper ensemble on loopback, from Debian's zookeeper package.

    zk_ensemble.py [--servers 3] [--tick 200] [--dir D]

Starts N QuorumPeerMain processes (no systemd): one data dir with `myid` per
server, distinct client, quorum and election ports on 127.0.0.1, tickTime in
milliseconds. Prints `ready HOST:PORT,...` once every server serves and one
leads. Then reads commands on stdin, the same as infrac-zk's: `kill ID`
(SIGKILL), `restore ID` (start it again and wait until it serves), `leader`
(its id, 0 if none), `quit`. On `quit`, end of input or SIGTERM it kills every
server by pid and removes its files. The servers die with it (PR_SET_PDEATHSIG).

The Java command line follows the package's layout: the server classes in
/usr/share/java/zookeeper.jar, whose manifest names its dependencies in
/usr/share/java; slf4j-simple logs each server to its own file.
"""
import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

JARS = ["/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar"]
MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
PR_SET_PDEATHSIG = 1


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def four_letter(port, cmd=b"srvr", timeout=0.5):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(cmd)
            out = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            return out.decode("utf-8", "replace")
    except OSError:
        return ""


def mode(port):
    for line in four_letter(port).splitlines():
        if line.startswith("Mode: "):
            return line[6:].strip()
    return ""


def die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgid(0, 0)


class Ensemble:
    def __init__(self, n, tick, root):
        self.n, self.tick, self.root = n, tick, root
        ports = free_ports(3 * n)
        self.client = ports[0:n]
        quorum, election = ports[n:2 * n], ports[2 * n:3 * n]
        self.procs = {}
        for i in range(1, n + 1):
            d = os.path.join(root, str(i))
            os.makedirs(os.path.join(d, "data"))
            with open(os.path.join(d, "data", "myid"), "w") as f:
                f.write("%d\n" % i)
            cfg = [
                "tickTime=%d" % tick,
                "initLimit=10",
                "syncLimit=5",
                "dataDir=%s" % os.path.join(d, "data"),
                "clientPort=%d" % self.client[i - 1],
                "clientPortAddress=127.0.0.1",
                "maxClientCnxns=0",
                "admin.enableServer=false",
                "4lw.commands.whitelist=srvr,ruok",
            ]
            for j in range(1, n + 1):
                cfg.append("server.%d=127.0.0.1:%d:%d" % (j, quorum[j - 1], election[j - 1]))
            with open(os.path.join(d, "zoo.cfg"), "w") as f:
                f.write("\n".join(cfg) + "\n")

    def connect_string(self):
        return ",".join("127.0.0.1:%d" % p for p in self.client)

    def start(self, i):
        d = os.path.join(self.root, str(i))
        log = open(os.path.join(d, "server.log"), "ab")
        cmd = ["java", "-Xmx192m", "-XX:+UseSerialGC", "-cp", ":".join(JARS),
               "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
               "-Dzookeeper.jmx.log4j.disable=true", MAIN, os.path.join(d, "zoo.cfg")]
        self.procs[i] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        log.close()

    def kill(self, i):
        p = self.procs.pop(i, None)
        if p is None:
            return
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()

    def leader(self):
        for i in sorted(self.procs):
            if mode(self.client[i - 1]) == "leader":
                return i
        return 0

    def wait_serving(self, ids, timeout=90.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            modes = [mode(self.client[i - 1]) for i in ids]
            if all(m in ("leader", "follower") for m in modes) and self.leader():
                return True
            for i in ids:
                p = self.procs.get(i)
                if p is not None and p.poll() is not None:
                    return False
            time.sleep(0.05)
        return False

    def stop(self):
        for i in list(self.procs):
            self.kill(i)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=3)
    ap.add_argument("--tick", type=int, default=200, help="tickTime in milliseconds")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="infrac-zk-real-", dir=args.dir)
    ens = Ensemble(args.servers, args.tick, root)

    def on_term(signum, frame):
        ens.stop()
        shutil.rmtree(root, ignore_errors=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    try:
        for i in range(1, args.servers + 1):
            ens.start(i)
        if not ens.wait_serving(list(range(1, args.servers + 1))):
            for i in range(1, args.servers + 1):
                log = os.path.join(root, str(i), "server.log")
                if os.path.exists(log):
                    sys.stderr.write(open(log, errors="replace").read()[-3000:])
            print("error the ensemble did not start", flush=True)
            return 1
        print("ready " + ens.connect_string(), flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            cmd, arg = words[0], (int(words[1]) if len(words) > 1 and words[1].isdigit() else 0)
            if cmd == "quit":
                break
            if cmd in ("kill", "restore") and not 1 <= arg <= args.servers:
                print("error no server %d" % arg, flush=True)
            elif cmd == "kill":
                ens.kill(arg)
                print("ok", flush=True)
            elif cmd == "restore":
                if arg not in ens.procs:
                    ens.start(arg)
                # A restored server serves once it has joined a leader.
                ok = ens.wait_serving([arg], timeout=60.0)
                print("ok" if ok else "error server %d did not rejoin" % arg, flush=True)
            elif cmd == "leader":
                print("leader %d" % ens.leader(), flush=True)
            else:
                print("error unknown command '%s'" % cmd, flush=True)
    finally:
        ens.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
