"""Why ViTs are robust (notebook 02): masking, Fourier heat maps, loss landscapes, attention."""
