"""Inspection app: defects on a conveyor, one verdict per part, a reject on time."""
