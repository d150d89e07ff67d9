"""Vertical apps built on the core."""
