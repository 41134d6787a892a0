"""Local emulators of the channel APIs (Shopify, WooCommerce, eBay, Amazon) for tests and demos."""

__all__ = ["DEFAULT_CREDENTIALS", "Emulator", "Fault"]


def __getattr__(name):
    # Lazy, so that ``python -m tests.emulators.server`` does not import the server twice.
    if name in ("DEFAULT_CREDENTIALS", "Emulator"):
        from . import server  # noqa: PLC0415

        return getattr(server, name)
    if name == "Fault":
        from .core import Fault  # noqa: PLC0415

        return Fault
    raise AttributeError(name)
