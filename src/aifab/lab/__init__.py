"""The network-namespace lab: every switch of a Design as FRR + sshd in its own namespaces.

Plain functions: ``up(design)`` (``LabDegraded`` when a lab is there but not whole; ``force``
rebuilds), ``down(design)``, ``status(design)``, ``wait_established``; ``Lab.run(node, argv)``
runs a command in a node's namespaces (``aifab lab exec``);
``missing_requirements()`` says what this machine lacks (root, Debian's frr and openssh-server);
``time_to_established`` is the convergence benchmark.
"""

from aifab.lab.bench import BenchResult, time_to_established
from aifab.lab.lifecycle import Lab, LabDegraded, down, problems, up
from aifab.lab.status import LabStatus, status, wait_established
from aifab.lab.system import LabUnavailable, missing_requirements
from aifab.lab.topology import LabError, Topology, topology

__all__ = ["BenchResult", "Lab", "LabDegraded", "LabError", "LabStatus", "LabUnavailable", "Topology", "down", "missing_requirements",
           "problems", "status", "time_to_established", "topology", "up", "wait_established"]
