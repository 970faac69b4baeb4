"""Disentangle: see, read, judge and end local law enforcement's agreements with ICE."""

__version__ = "0.1.0"
