"""Certified robustness (notebooks 05, 10): randomized smoothing; IBP, CROWN/LP, SDP and its
first-order dual on one ReLU network."""
