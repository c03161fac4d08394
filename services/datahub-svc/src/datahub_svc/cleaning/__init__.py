"""Cleaning and standardisation (清洗、标准化): pure functions shared by every way data comes in."""
