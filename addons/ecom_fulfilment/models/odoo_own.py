# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Where the import takes a shortcut through Odoo's own mechanism (sharing a rule lookup,
syncing new contacts together), it does so only while the methods it stands in for are
Odoo's own: a module that changes them may read or do more, and then Odoo's path runs."""


def methods_only_from(model, methods, modules):
    """Whether every version of ``methods`` in ``model``'s class chain is defined in one of
    ``modules`` (module names)."""
    return all(
        cls.__module__ in modules
        for cls in type(model).__mro__
        if any(name in vars(cls) for name in methods)
    )
