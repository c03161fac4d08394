"""Credit records (penalties, lists, commendations) and their removal and repair process."""
