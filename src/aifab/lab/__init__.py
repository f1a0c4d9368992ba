"""The network-namespace lab: every switch of a Design as FRR + sshd in its own namespaces.

Plain functions: ``up(design)``, ``down(design)``, ``status(design)``; ``missing_requirements()``
says what this machine lacks (root, Debian's frr and openssh-server).
"""

from aifab.lab.lifecycle import Lab, down, problems, up
from aifab.lab.system import LabUnavailable, missing_requirements
from aifab.lab.topology import LabError, Topology, topology

__all__ = ["Lab", "LabError", "LabUnavailable", "Topology", "down", "missing_requirements", "problems", "topology", "up"]
