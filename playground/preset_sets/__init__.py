"""Presets of the model kinds beyond the supervised one, a module each (merged in presets)."""
