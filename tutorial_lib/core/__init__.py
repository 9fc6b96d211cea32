"""Shared services every lesson uses (no lesson code): profile + knobs, device, data, the zoo,
the training loop, transforms, the background compositor, attacks, verdicts, plotting, widgets,
checks."""
