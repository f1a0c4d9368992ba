"""Render: the Design's devices as the files that go to switches, one template per config section.

``render_device`` returns a device's files (name -> text); ``write_configs`` writes every
device's files under ``configs/``. File names per platform are its record's ``outputs``
(``aifab.platforms``).
"""

from aifab.render.configs import drain_snippet, render_device, undrain_snippet, write_configs
from aifab.render.view import DeviceView, device_view

__all__ = ["DeviceView", "device_view", "drain_snippet", "render_device", "undrain_snippet", "write_configs"]
