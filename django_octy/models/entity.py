"""The kinds of objects the app mirrors, named the same way everywhere.

Most are Octy's; ``octopus_entry`` is an address-book entry of the Octopus
(Maximizer CRM) target, named after its target.
"""

from django.db import models


class Entity(models.TextChoices):
    """In the order a flush pushes them: what an object needs is pushed before it."""

    EVENT_TYPE = "event_type", "Event type"
    PROFILE = "profile", "Profile"
    ITEM = "item", "Item"
    EVENT = "event", "Event"
    SEGMENT = "segment", "Segment"
    TEMPLATE = "template", "Message template"
    OCTOPUS_ENTRY = "octopus_entry", "Octopus entry"


MODEL_NAMES = {
    Entity.EVENT_TYPE: "EventType",
    Entity.PROFILE: "Profile",
    Entity.ITEM: "Item",
    Entity.EVENT: "Event",
    Entity.SEGMENT: "Segment",
    Entity.TEMPLATE: "MessageTemplate",
    Entity.OCTOPUS_ENTRY: "OctopusEntry",
}
"""The mirror model of each entity, by name in the ``django_octy`` app."""
