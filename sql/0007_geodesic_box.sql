-- A lon/lat box holding every point within `metres` (geodesic, on WGS 84) of the point `p`, so that a
-- radius search can use the plain geometry GiST index (`geom && box`) before its exact
-- ST_DWithin(geography) test; no geography index is needed.
--
-- Latitude: no path between two parallels is shorter than the meridian arc between them, and a degree
-- of meridian is nowhere shorter than at the equator (radius a(1 - e^2) = 6335439 m). Longitude: along
-- the way |latitude| stays below top = |lat| + dlat, where a parallel's radius N cos(lat) is at least
-- a cos(top) (a = 6378137 m). A box reaching a pole or the antimeridian spans every longitude.
-- The factor and the 1e-9 degree cover floating-point rounding.
CREATE FUNCTION mapserver.geodesic_box(p geometry, metres double precision) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    lon  double precision := ST_X(p);
    lat  double precision := ST_Y(p);
    dlat double precision := degrees(metres / 6335439.0) * 1.000001 + 1e-9;
    top  double precision := abs(lat) + dlat;
    dlon double precision;
BEGIN
    IF top >= 90 THEN
        RETURN ST_MakeEnvelope(-180, greatest(lat - dlat, -90), 180, least(lat + dlat, 90), 4326);
    END IF;
    dlon := degrees(metres / (6378137.0 * cos(radians(top)))) * 1.000001 + 1e-9;
    IF lon - dlon < -180 OR lon + dlon > 180 THEN
        RETURN ST_MakeEnvelope(-180, lat - dlat, 180, lat + dlat, 4326);
    END IF;
    RETURN ST_MakeEnvelope(lon - dlon, lat - dlat, lon + dlon, lat + dlat, 4326);
END $$;
