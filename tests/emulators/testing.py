"""Test helpers: a fake clock whose sleep returns at once, and listing payload factories."""

import sys
from pathlib import Path


class FakeTime:
    """Injectable ``clock``/``sleep`` pair: sleeping advances the clock and is recorded."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def addon_path():
    """Make ``ecom_channels_core`` importable outside the root conftest (e.g. a script)."""
    path = str(Path(__file__).resolve().parents[2] / "addons" / "ecom_channels")
    if path not in sys.path:
        sys.path.append(path)
