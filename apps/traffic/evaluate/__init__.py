"""Evaluation of signal controllers on a SUMO scenario: plain-SUMO reference runs, closed-loop runs and the
comparison table."""
