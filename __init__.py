"""EdgeSight: edge video analytics (the repo root is the `edgesight` package)."""
__version__ = "0.1.0"
