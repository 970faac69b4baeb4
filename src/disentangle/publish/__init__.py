"""Exports, maps and reports made from the registry and the judgments."""

from disentangle.publish._csv import csv_cell

__all__ = ["csv_cell"]
