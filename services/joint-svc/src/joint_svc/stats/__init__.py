"""Statistics: volumes, timeliness and overdue tasks by department."""
