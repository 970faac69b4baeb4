"""Exports, maps and reports made from the registry and the judgments."""

from disentangle.publish._csv import csv_cell

__all__ = ["csv_cell"]
from disentangle.publish._map import (
    DEFAULT_LAYER,
    LAYER_BY_KEY,
    LAYER_RECORDS,
    LAYERS,
    MODELS_287G,
    Band,
    CountyRow,
    Layer,
    active_287g,
    agreement_kinds,
    classify_rows,
    county_title,
)

__all__ = [
    "DEFAULT_LAYER",
    "LAYERS",
    "LAYER_BY_KEY",
    "LAYER_RECORDS",
    "MODELS_287G",
    "Band",
    "CountyRow",
    "Layer",
    "active_287g",
    "agreement_kinds",
    "classify_rows",
    "county_title",
]
