"""What ``aifab build`` writes beside the configs: the Nornir inventory, the cabling and IP plans
(CSV) and the containerlab topology."""

from aifab.artifacts.clab import CEOS_IMAGE, clab_path, clab_topology, write_clab
from aifab.artifacts.inventory import HandKept, InventoryError, find_hand_kept, hand_kept_for, inventory_hosts, write_inventory
from aifab.artifacts.plans import CABLING_HEADER, IPPLAN_HEADER, cabling_rows, ipplan_rows, write_csv

__all__ = ["CABLING_HEADER", "CEOS_IMAGE", "IPPLAN_HEADER", "HandKept", "InventoryError", "cabling_rows", "clab_path",
           "clab_topology", "find_hand_kept", "hand_kept_for", "inventory_hosts", "ipplan_rows", "write_clab", "write_csv",
           "write_inventory"]
