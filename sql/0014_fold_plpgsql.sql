-- mapserver.fold (0001) again, with the same answers, in a third less time: every version table's search
-- column calls it once a row while the load COPYs (5.2 s of CPU at 1M points, 3.5 s now).
--
-- A LANGUAGE sql function whose body calls a STABLE function (unaccent) is never inlined into an IMMUTABLE
-- caller, so each call ran the SQL function executor; PL/pgSQL evaluates its one expression on its fast path.
-- unaccent's rules already fold đ and Đ to d and D: the two replace() calls before it changed nothing.
CREATE OR REPLACE FUNCTION mapserver.fold(text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
BEGIN
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));
END
$$;
