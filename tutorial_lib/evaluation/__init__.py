"""Robustness evaluation (notebooks 01, 11, 13): the evaluation suite, corruptions, stability, OOD
detection (MSP, DROCC), renditions, natural adversarial examples, backgrounds."""
