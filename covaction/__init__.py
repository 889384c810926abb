"""covaction: coverage and supply-chain gate for GitHub pull requests."""

__version__ = "0.1.0"
