"""Why ViTs are robust (notebook 02): masking, Fourier heat maps, loss landscapes, attention;
plus the per-profile attack budgets and wording that notebooks 00 and 02 share (``budgets``)."""
