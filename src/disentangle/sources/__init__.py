"""Importers of public datasets: each reads files and returns model objects, never touching the store."""
