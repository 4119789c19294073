"""The layer catalog: the built-in layers (four sectors, the wards, two live layers), and definitions that must
be refused."""

from __future__ import annotations

import pytest

from layers import CatalogError, load_catalog
from layers.registry import parse_layer


def test_builtin_layers_are_the_four_sectors_the_wards_and_two_live_ones(catalog):
    assert set(catalog) == {"health", "education", "transport", "bus_stops", "wards", "alerts", "outages"}
    assert {slug for slug, layer in catalog.items() if layer.live} == {"alerts", "outages"}
    for layer in (layer for layer in catalog.values() if not layer.live):
        assert layer.title["vi"] and layer.title["en"] and layer.title["vi"] != layer.title["en"]
        assert layer.required, f"{layer.slug} has no required field"
        assert any(f.searchable for f in layer.fields)
        assert any(f.filterable for f in layer.fields)
        assert {f.name for f in layer.fields} >= {"name", "kind"}
        kinds = layer.field("kind").values
        assert set(layer.style["kinds"]) == set(kinds), f"{layer.slug}: every kind needs a legend entry"


def test_live_layers_say_when_each_feature_is_valid(catalog):
    for slug in ("alerts", "outages"):
        layer = catalog[slug]
        assert layer.field("valid_from").sql_type == layer.field("valid_to").sql_type == "timestamptz"
        assert layer.field("kind").filterable and set(layer.style["kinds"]) == set(layer.field("kind").values)
    assert catalog["alerts"].field("severity").values == ("extreme", "severe", "moderate", "minor")


def test_a_live_layer_without_validity_is_refused():
    with pytest.raises(CatalogError, match="valid_from and valid_to"):
        parse_layer(_minimal(live=True), "parks.toml")


def test_health_is_points_transport_is_lines_and_points(catalog):
    assert catalog["health"].postgis_type == "Point"
    assert catalog["transport"].geometry_types == ("MultiLineString", "Point")
    assert catalog["transport"].postgis_type == "Geometry"
    assert catalog["bus_stops"].field("routes").sql_type == "text[]"


def _minimal(**extra):
    data = {"slug": "parks", "geometry": ["Point"], "title": {"vi": "Công viên", "en": "Parks"},
            "description": {"vi": "x", "en": "y"}, "fields": [{"name": "name", "type": "text",
                                                                "title": {"vi": "Tên", "en": "Name"}}]}
    data.update(extra)
    return data


def test_a_minimal_definition_parses():
    assert parse_layer(_minimal(), "parks.toml").field_names == ("name",)


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "unknown key"),
    ({"slug": "Parks; DROP TABLE x"}, "slug"),
    ({"geometry": ["Circle"]}, "geometry"),
    ({"title": {"vi": "Công viên"}}, "'vi' and 'en'"),
    ({"visibility": "secret"}, "visibility"),
    ({"fields": [{"name": "geom", "type": "text", "title": {"vi": "a", "en": "b"}}]}, "reserved"),
    ({"fields": [{"name": "size", "type": "bigint", "title": {"vi": "a", "en": "b"}}]}, "type"),
    ({"min_zoom": 15, "max_zoom": 3}, "zoom"),
    ({"fields": [{"name": "kind", "type": "text", "title": {"vi": "a", "en": "b"}, "aliases": "Loại"}]}, "aliases"),
    ({"fields": [{"name": "kind", "type": "text", "title": {"vi": "a", "en": "b"}, "values": ["park"],
                  "labels": {"zoo": {"vi": "Sở thú", "en": "Zoo"}}}]}, "not in values: zoo"),
    ({"fields": [{"name": "kind", "type": "text", "title": {"vi": "a", "en": "b"}, "values": ["park"],
                  "labels": {"park": {"vi": "Công viên"}}}]}, "labels.park"),
    ({"fields": [{"name": "kind", "type": "text", "title": {"vi": "a", "en": "b"}, "values": ["park"],
                  "value_aliases": {"park": ["", "vườn"]}}]}, "value_aliases.park"),
    ({"id_aliases": ["Mã", 3]}, "id_aliases"),
])
def test_bad_definitions_are_refused_with_the_reason(change, message):
    with pytest.raises(CatalogError, match=message):
        parse_layer(_minimal(**change), "parks.toml")


def test_a_duplicate_slug_is_refused(tmp_path):
    text = ('slug = "parks"\ngeometry = ["Point"]\ntitle = {vi = "a", en = "b"}\n'
            'description = {vi = "a", en = "b"}\n')
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text(text)
    with pytest.raises(CatalogError, match="defined twice"):
        load_catalog(tmp_path)


def test_every_category_of_the_builtin_layers_has_both_labels(catalog):
    """The labels are what a clerk's file says and what the map's legend shows: none may be missing."""
    for layer in catalog.values():
        for fld in layer.fields:
            assert set(fld.labels) == set(fld.values), (layer.slug, fld.name)
            assert all(set(label) == {"vi", "en"} for label in fld.labels.values())
