"""Routing: the department directory and the rules that find the supervising department."""
