"""The evidence pack: credit, lists, complaints and warnings per object, kept from events."""
