-- The lon/lat box that holds every point within `metres` (geodesic, WGS 84) of `centre` (issue 20): radius
-- tests are `geom && radius_box(...)` on the geometry GiST index, then the exact ST_DWithin on geography, so a
-- version table needs no second GiST index on (geom::geography) (5 s of a 1M-point load).
--
-- Why it holds them all: on WGS 84 the meridian's radius of curvature is at least a(1 - e^2) = 6,335,439 m and
-- the prime vertical's at least a, so any path is at least as long on the ellipsoid as the same path in
-- (lat, lon) on a sphere of radius 6,335,000 m; a point within `metres` on the ellipsoid is within the angle
-- metres / 6,335,000 on that sphere, and a spherical cap of angle d centred at latitude p spans d in latitude
-- and asin(sin d / cos p) in longitude (every longitude once the cap reaches a pole). The box does not wrap
-- around the antimeridian: no deployment area crosses it (features lie inside AREA_BBOX).
--
-- One SELECT of an expression, so PostgreSQL inlines it where its arguments are plain (constants, columns);
-- with a bound place in a generic plan it is called, once per index scan, as the scan's key. Either way the
-- box is computed once per scan, never per row.
CREATE FUNCTION mapserver.radius_box(centre geometry, metres float8) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Expand(centre,
        CASE WHEN metres / 6335000.0 >= radians(90.0 - abs(ST_Y(centre))) THEN 360.0
             ELSE degrees(asin(sin(metres / 6335000.0) / cos(radians(ST_Y(centre))))) * 1.000001 + 1e-9 END,
        degrees(metres / 6335000.0) * 1.000001 + 1e-9)
$$;
