"""A deploy step that runs long names the devices it still waits on (a real Nornir run)."""

from __future__ import annotations

import time
from pathlib import Path

from nornir import InitNornir
from nornir.core.task import Result, Task

from aifab.deploy.heartbeat import heartbeat


def test_a_slow_device_is_named_while_the_step_waits_on_it_and_the_others_are_not(tmp_path: Path) -> None:
    """sw10 answers after 0.6 s, the others at once: every 0.1 s the step says it still waits on
    sw10 alone (before, a switch whose SSH did not answer left the terminal silent for the driver's
    60 s: seen with the lab's management network dropping its packets)."""
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text("".join(f"{n}:\n  hostname: 127.0.0.1\n" for n in ("sw1", "sw2", "sw10")))
    nr = InitNornir(runner={"plugin": "threaded", "options": {"num_workers": 3}}, logging={"enabled": False},
                    inventory={"plugin": "SimpleInventory", "options": {"host_file": str(hosts)}})
    said: list[str] = []

    def step(t: Task) -> Result:
        time.sleep(0.6 if t.host.name == "sw10" else 0.0)
        return Result(host=t.host, result="done")

    with heartbeat(["sw1", "sw2", "sw10"], "load", said.append, interval_s=0.1) as track:
        res = nr.run(task=track(step), name="load")
    assert not res.failed and len(said) >= 3, said
    assert all(line.startswith("load: still waiting on sw10 (") for line in said), said
    stopped = len(said)
    time.sleep(0.3)
    assert len(said) == stopped, "silent once the step is over"


def test_many_devices_are_counted_past_the_first_five(tmp_path: Path) -> None:
    names = [f"sw{i}" for i in range(1, 9)]
    hosts = tmp_path / "hosts.yaml"
    hosts.write_text("".join(f"{n}:\n  hostname: 127.0.0.1\n" for n in names))
    nr = InitNornir(runner={"plugin": "threaded", "options": {"num_workers": 8}}, logging={"enabled": False},
                    inventory={"plugin": "SimpleInventory", "options": {"host_file": str(hosts)}})
    said: list[str] = []
    with heartbeat(names, "commit", said.append, interval_s=0.1) as track:
        nr.run(task=track(lambda t: time.sleep(0.35) or Result(host=t.host, result="ok")), name="commit")
    assert said and said[0].startswith("commit: still waiting on sw1, sw2, sw3, sw4, sw5 and 3 more ("), said
