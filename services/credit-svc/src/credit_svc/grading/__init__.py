"""Grading: the configurable index system, the scoring engine, grades and their history, recomputes."""
