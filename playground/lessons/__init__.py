"""Guided lessons: one idea each, a setup, what to do and notice, one change to try, a check."""
