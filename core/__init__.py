"""Shared core: sources, detection, tracking, pipeline, events, bus, store, metrics. Knows nothing of the apps."""
