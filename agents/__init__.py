"""labcoat's agents: planning, tabular TD, bandit strategies, semi-gradient methods, policies."""
