"""Distribution shift (notebooks 06-08, 12, 13): simplicity bias, accuracy on the line, the
Gaussian model, group robustness, overparameterisation, the staircase toy."""
