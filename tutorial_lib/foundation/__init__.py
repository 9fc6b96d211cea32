"""Foundation-model seed papers: in-context learning (GINC); later FLYP and glyph pre-training."""
