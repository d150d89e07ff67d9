"""Bundled SUMO scenarios (generated files) and the script that writes them: see generate.py."""
