#!/usr/bin/env python3
"""The same scenario's verdicts in `infrac run --scenario` and in `infrac sim`.

Every scenario of every example, and one written to fail, is played twice:
on the virtual clock, and live on 127.0.0.1 (real instances, real proxies,
its load sent for real) at --time-scale 20. Each expectation must get the
same verdict in both, and both commands the same exit status. The live run
is bounded in time; nothing it started may survive it.

usage: scenario_test.py INFRAC SOURCE_DIR
"""

import os
import re
import subprocess
import sys
import unittest

INFRAC, SOURCE = sys.argv[1], sys.argv[2]
VERDICT = re.compile(r"^  (PASS|FAIL|SKIP)  (expect .*)$", re.M)

CASES = [
    ("examples/webshop.infra", "black_friday"),
    ("examples/nlb_game.infra", "spot_reclaim"),
    ("examples/sessions.infra", "lose_a_server"),
    ("examples/emr_analytics.infra", "spot_storm"),
    ("examples/zk_election.infra", "leader_failover"),
    ("tests/runtime/fail_kill_everything.infra", "kill_everything"),
]


def verdicts(args, timeout):
    p = subprocess.run([INFRAC] + args, capture_output=True, text=True, timeout=timeout,
                       start_new_session=True)
    return p.returncode, VERDICT.findall(p.stdout), p.stdout


def processes_of(session):
    """Pids whose session is `session` (what infrac run started, in theirs or its own)."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.getsid(int(pid)) == session:
                    out.append(int(pid))
            except OSError:
                pass
    return out


class ScenarioInRunAndSim(unittest.TestCase):
    def test_examples_judge_alike(self):
        for design, scenario in CASES:
            with self.subTest(design=design, scenario=scenario):
                path = os.path.join(SOURCE, design)
                sim_rc, sim, sim_out = verdicts(["sim", path, "--scenario", scenario], 60)
                self.assertTrue(sim, sim_out)
                run_rc, run, run_out = verdicts(
                    ["run", path, "--scenario", scenario, "--time-scale", "20", "--plain"], 120)
                self.assertEqual(run, sim, "live:\n" + run_out[-4000:])
                self.assertEqual(run_rc, sim_rc, run_out[-2000:])
                self.assertIn("in real time, scaled 20x", run_out)

    def test_a_failing_scenario_fails_live(self):
        rc, got, out = verdicts(["run", os.path.join(SOURCE, CASES[-1][0]), "--scenario",
                                 CASES[-1][1], "--time-scale", "20", "--plain"], 120)
        self.assertEqual(rc, 1, out)
        self.assertIn(("FAIL", "expect healthy(web) >= 2 after 25s"), got)
        self.assertIn(("PASS", "expect requests(front) > 1000"), got)

    def test_an_interrupted_scenario_gives_no_verdicts(self):
        p = subprocess.Popen([INFRAC, "run", os.path.join(SOURCE, "examples/webshop.infra"),
                              "--scenario", "black_friday", "--duration", "20s", "--plain"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait()
        self.assertEqual(p.returncode, 1, out)
        self.assertIn("interrupted before the scenario's end", out)
        self.assertNotIn("expectations:", out)
        self.assertEqual(processes_of(p.pid), [])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
