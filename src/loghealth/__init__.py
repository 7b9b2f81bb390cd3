"""loghealth: find known failure signatures in logs, explain them, score health."""

__all__ = ["__version__"]

__version__ = "0.1.0"
