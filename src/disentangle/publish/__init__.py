"""Exports, maps and reports made from the registry and the judgments."""
