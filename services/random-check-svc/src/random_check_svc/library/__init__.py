"""One list, two databases (一单两库): random-check items, supervised objects and inspectors, kept from events."""
