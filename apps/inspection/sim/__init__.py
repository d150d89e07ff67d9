"""Conveyor simulator and camera renderer. Depends on numpy, OpenCV and PyYAML only, so the data-set command runs on
a training machine that has none of the edge runtime installed."""
