"""Red and black lists of departments, with dynamic rules."""
