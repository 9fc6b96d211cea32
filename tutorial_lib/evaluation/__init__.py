"""Robustness evaluation (notebook 01): corruptions, stability, OOD detection, new shifts."""
