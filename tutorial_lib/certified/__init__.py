"""Certified robustness (notebook 05): randomized smoothing and bound propagation."""
