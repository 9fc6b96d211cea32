"""Robustness transfer and fine-tuning (notebooks 03, 09): pretext pre-training, transfer matrix, sparsity, LP-FT."""
