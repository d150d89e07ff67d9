"""`edgesight bench pipeline`: the raw model, Ultralytics and EdgeSight's pipeline side by side in one process."""
