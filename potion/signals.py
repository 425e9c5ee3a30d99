"""Blinker signals sent around every write.

The sender is always the resource class, every argument is a keyword argument.
All of them are sent inside the write's transaction: an exception raised by a
receiver rolls the whole write back and the client receives an error.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = [
    "before_create",
    "after_create",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
    "before_add_to_relation",
    "after_add_to_relation",
    "before_remove_from_relation",
    "after_remove_from_relation",
]

_signals = Namespace()

#: ``item``: built, attributes set, not yet stored.
before_create = _signals.signal("before-create")
#: ``item``: stored and flushed (its id is known), transaction still open.
after_create = _signals.signal("after-create")
#: ``item, changes``: before the changes are applied; ``changes`` holds only real changes.
before_update = _signals.signal("before-update")
#: ``item, changes``: after the changes are flushed, transaction still open.
after_update = _signals.signal("after-update")
#: ``item``: before the item is deleted.
before_delete = _signals.signal("before-delete")
#: ``item``: after the delete is flushed, transaction still open.
after_delete = _signals.signal("after-delete")
#: ``item, attribute, child``
before_add_to_relation = _signals.signal("before-add-to-relation")
#: ``item, attribute, child``
after_add_to_relation = _signals.signal("after-add-to-relation")
#: ``item, attribute, child``
before_remove_from_relation = _signals.signal("before-remove-from-relation")
#: ``item, attribute, child``: not sent when the child was not in the collection.
after_remove_from_relation = _signals.signal("after-remove-from-relation")
