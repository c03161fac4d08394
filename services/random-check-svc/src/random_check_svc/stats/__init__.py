"""Statistics: completion, problem and on-time disclosure rates by department, industry and credit class."""
