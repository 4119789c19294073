"""The layer catalog: what this server publishes, declared in `definitions/*.toml`."""

from layers.registry import CatalogError, Field, Layer, load_agencies, load_catalog

__all__ = ["CatalogError", "Field", "Layer", "load_agencies", "load_catalog"]
