"""Fixtures of the channel client tests: one local emulator per test module, reset around each
test, and a fake clock so that retries and rate limits never really sleep."""

import pytest

from tests.emulators import Emulator
from tests.emulators.testing import FakeTime


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emu(emulator):
    emulator.reset()
    yield emulator
    # Every answer an emulated channel gave matched its published model (where it checks them).
    for name, app in emulator.apps.items():
        assert getattr(app, "schema_failures", []) == [], name
    emulator.reset()


@pytest.fixture
def fake_time():
    return FakeTime()
