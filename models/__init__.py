"""labcoat's neural models (PyTorch): supervised, generative, interpretability, offline data."""
