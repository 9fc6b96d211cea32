"""Shared services every lesson uses: profile + knobs, device, data, zoo, fit, attacks, plotting, widgets, checks, verdicts."""
