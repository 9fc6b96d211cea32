"""Distribution shift (notebooks 06-08): simplicity bias, accuracy on the line, the Gaussian model."""
