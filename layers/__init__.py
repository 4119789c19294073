"""The layer catalog: what this server publishes, declared in `definitions/*.toml`."""

from layers.registry import SEARCH_PARTS, CatalogError, Field, Layer, load_agencies, load_catalog, search_part

__all__ = ["SEARCH_PARTS", "CatalogError", "Field", "Layer", "load_agencies", "load_catalog", "search_part"]
