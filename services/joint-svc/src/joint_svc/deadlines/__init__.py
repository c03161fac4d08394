"""Deadlines in working days: reminders before, escalation (督办) after, by a background sweep."""
