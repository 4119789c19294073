/* Directions by public transport on the map page (GET /api/journeys): the chosen itinerary drawn on the
 * map (walking dashed, rides solid in their mode's colour) and its legs read out in #journey.
 * map.js makes one planner with journeyPlanner(page) and hands it the map, the texts and its helpers,
 * so the page's state stays in map.js and this file only knows the journeys API. */
(function () {
  "use strict";

  // Apart from the transport layer's own lines (teal buses, pink metro), so a ride stands out on them.
  var RIDE_COLORS = { BUS: "#283593", METRO: "#e65100", TRAM: "#4e342e", RAIL: "#4e342e", FERRY: "#01579b" };
  var OTHER_RIDE_COLOR = "#6a1b9a";
  var WALK_LINE = { color: "#37474f", weight: 4, dashArray: "1 9", lineCap: "round", interactive: false };
  var LESS_WALK_M = 100;  // walking this much less than the earliest itinerary is worth saying

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) { return key in values ? values[key] : whole; });
  }

  /* HH:MM as the ISO string writes it: the timetable's local time, whatever the browser's own zone. */
  function clock(iso) {
    var hm = /T(\d{2}):(\d{2})/.exec(iso || "");
    return hm ? hm[1] + ":" + hm[2] : "";
  }

  /* The minute the citizen asks at, in UTC: answers asked within the same minute share one URL. */
  function departNow() {
    var now = new Date();
    now.setSeconds(0, 0);
    return now.toISOString().replace(".000Z", "Z");
  }

  function lonLat(latlng) { return latlng.lng.toFixed(6) + "," + latlng.lat.toFixed(6); }

  function lineOf(leg) {
    var g = leg.geometry;
    if (g && g.type === "LineString" && g.coordinates.length > 1) {
      return g.coordinates.map(function (c) { return [c[1], c[0]]; });
    }
    return [[leg.from.lat, leg.from.lon], [leg.to.lat, leg.to.lon]];
  }

  window.journeyPlanner = function (page) {
    var map = page.map, T = page.text, el = page.el, lang = page.cfg.lang;
    var panel = document.getElementById("journey-panel");
    var title = document.getElementById("journey-title");
    var status = document.getElementById("journey-status");
    var steps = document.getElementById("journey");
    var choices = document.getElementById("journey-choices");
    var options = document.getElementById("journey-options");
    var drawn = L.featureGroup().addTo(map);  // in the overlay pane, raised above the sector layers' panes
    map.getPane("overlayPane").style.zIndex = 450;
    var asked = 0;  // the latest request's number: an older answer that arrives late is dropped
    var opener = null;
    var resultsWereOpen = false;

    function duration(seconds) {
      var total = Math.max(1, Math.round(seconds / 60));
      if (total < 60) return fill(T.duration_minutes, { m: total });
      return fill(T.duration_hours, { h: Math.floor(total / 60), m: total % 60 });
    }

    function counted(prefix, n) {
      return fill(T[prefix + (n === 0 ? "_none" : n === 1 ? "_one" : "_many")] || T[prefix + "_many"], { n: n });
    }

    /* The error body's text in the page's language (mapserver/web/errors.py), else the generic one. */
    function failure(body) {
      var error = new Error("journeys");
      error.text = (body && ((body.messages && body.messages[lang]) || body[lang] || body.description)) || T.load_error;
      return error;
    }

    function request(params) {
      params.depart = departNow();
      params.lang = lang;
      return fetch(page.cfg.apiBase + "/journeys?" + page.query(params), { headers: { Accept: "application/geo+json, application/json" } })
        .then(function (r) {
          return r.json().catch(function () { return null; }).then(function (body) {
            if (r.ok && body) return body;
            throw failure(body);
          });
        }, function () { throw failure(null); });
    }

    function step(kind, text, detail, color) {
      var item = el("li", kind);
      if (color) item.style.borderLeftColor = color;
      item.appendChild(el("span", "what", text));
      if (detail) item.appendChild(el("span", "detail", detail));
      return item;
    }

    function walkStep(leg, next, dest) {
      var time = duration(leg.duration_s);
      var text = next ? fill(T.walk_to_stop, { duration: time, stop: leg.to.name })
        : fill(T.walk_to, { duration: time, place: dest.name || T.destination });
      return step("walk", text, leg.distance_m ? page.distance(leg.distance_m) : "");
    }

    function rideSteps(leg) {
      var color = RIDE_COLORS[leg.mode] || OTHER_RIDE_COLOR;
      var head = [T["mode_" + leg.mode] || T.mode_other, leg.route];
      if (leg.headsign) head.push(fill(T.towards, { headsign: leg.headsign }));
      head.push(fill(T.at_time, { time: clock(leg.from.time) }));
      var detail = [fill(T.board_at, { stop: leg.from.name })];
      if (leg.stops) detail.push(counted("stops", leg.stops));
      if (leg.route_name) detail.push(leg.route_name);
      return [step("ride", head.join(" "), detail.join(" · "), color),
              step("alight", fill(T.get_off, { stop: leg.to.name }), clock(leg.to.time), color)];
    }

    function listSteps(itinerary, dest) {
      steps.textContent = "";
      var legs = itinerary.legs;
      legs.forEach(function (leg, i) {
        if (leg.mode === "WALK") steps.appendChild(walkStep(leg, legs[i + 1], dest));
        else rideSteps(leg).forEach(function (item) { steps.appendChild(item); });
      });
      steps.appendChild(step("arrive", fill(T.arrive, { time: clock(itinerary.arrival) })));
    }

    function stopMarker(point, color) {
      return L.circleMarker([point.lat, point.lon], { radius: 5, weight: 3, color: color, fillColor: "#fff", fillOpacity: 1,
                                                      interactive: false });
    }

    function endMarker(point, color) {
      return L.circleMarker([point.lat, point.lon], { radius: 9, weight: 3, color: "#fff", fillColor: color, fillOpacity: 1,
                                                      interactive: false });
    }

    function draw(itinerary) {
      drawn.clearLayers();
      var legs = itinerary.legs;
      legs.forEach(function (leg) {
        var line = lineOf(leg);
        if (leg.mode === "WALK") { drawn.addLayer(L.polyline(line, WALK_LINE)); return; }
        var color = RIDE_COLORS[leg.mode] || OTHER_RIDE_COLOR;
        drawn.addLayer(L.polyline(line, { color: "#fff", weight: 10, opacity: 0.9, interactive: false }));
        drawn.addLayer(L.polyline(line, { color: color, weight: 6, interactive: false }));
        drawn.addLayer(stopMarker(leg.from, color)).addLayer(stopMarker(leg.to, color));
      });
      drawn.addLayer(endMarker(legs[0].from, "#2e7d32")).addLayer(endMarker(legs[legs.length - 1].to, "#b71c1c"));
      var below = Math.min(panel.offsetHeight, map.getSize().y / 2);
      fit(drawn.getBounds(), { paddingTopLeft: [24, 24], paddingBottomRight: [24, below + 24], maxZoom: 17 });
    }

    /* Leaflet drops a view asked for while a zoom animation runs (the near list's own fit may still be
     * running when its Directions button is pressed): then fit once that animation ends. */
    function fit(bounds, options) {
      if (map._animatingZoom) map.once("zoomend", function () { map.fitBounds(bounds, options); });
      else map.fitBounds(bounds, options);
    }

    function summary(itinerary) {
      var parts = [fill(T.arrive, { time: clock(itinerary.arrival) }), duration(itinerary.duration_s)];
      var walking = walkOnly(itinerary);
      parts.push(walking ? T.walk_only : counted("transfers", itinerary.transfers));
      if (!walking && itinerary.walk_m) parts.push(fill(T.walk_total, { distance: page.distance(itinerary.walk_m) }));
      return parts.join(" · ");
    }

    function walkOnly(itinerary) {
      return itinerary.legs.every(function (leg) { return leg.mode === "WALK"; });
    }

    /* What makes another itinerary worth picking over the earliest one (walking all the way says itself). */
    function merits(itinerary, earliest) {
      if (itinerary === earliest) return [T.earliest];
      var found = [];
      if (itinerary.walk_m < earliest.walk_m - LESS_WALK_M) found.push(T.less_walking);
      if (itinerary.transfers < earliest.transfers && !walkOnly(itinerary)) found.push(T.fewer_transfers);
      return found;
    }

    function listChoices(itineraries, chosen, dest) {
      options.textContent = "";
      choices.hidden = itineraries.length < 2;
      itineraries.forEach(function (itinerary, i) {
        var button = el("button", "choice", [summary(itinerary)].concat(merits(itinerary, itineraries[0])).join(" · "));
        button.type = "button";
        button.setAttribute("aria-pressed", String(i === chosen));
        button.addEventListener("click", function () { render(itineraries, i, dest); });
        var item = el("li");
        item.appendChild(button);
        options.appendChild(item);
      });
    }

    function render(itineraries, chosen, dest) {
      var itinerary = itineraries[chosen];
      status.textContent = summary(itinerary);
      listSteps(itinerary, dest);
      listChoices(itineraries, chosen, dest);
      draw(itinerary);
    }

    function open(dest, from) {
      opener = from || null;
      if (panel.hidden) resultsWereOpen = !document.getElementById("results").hidden;
      page.toggleSheet("results", false);
      page.toggleSheet("layers-panel", false);
      drawn.clearLayers();
      steps.textContent = "";
      options.textContent = "";
      choices.hidden = true;
      title.textContent = fill(T.directions_to, { name: dest.name || T.destination });
      panel.hidden = false;
      title.focus();
      return ++asked;
    }

    function close() {
      if (panel.hidden) return;
      asked++;
      drawn.clearLayers();
      panel.hidden = true;
      if (resultsWereOpen) page.toggleSheet("results", true);
      (opener && document.body.contains(opener) ? opener : map.getContainer()).focus();
    }

    /* Plans from `from` (a LatLng) to dest {name, lat, lng} and shows the earliest arrival. */
    function plan(from, dest, button) {
      var mine = open(dest, button);
      status.textContent = T.journey_loading;
      request({ from: lonLat(from), to: lonLat(dest) })
        .then(function (answer) {
          if (mine !== asked) return;
          if (answer.itineraries.length) { render(answer.itineraries, 0, dest); return; }
          status.textContent = (answer.reason && answer.reason[lang]) || T.no_route;
        }, function (error) { if (mine === asked) status.textContent = error.text; });
    }

    /* An itinerary already in hand (from the reach-soonest list): shown without another request. */
    function show(dest, itinerary, button) {
      open(dest, button);
      render([itinerary], 0, dest);
    }

    /* The places of the nearest layer's `kind` by arrival time from `from`: a GeoJSON FeatureCollection. */
    function soonest(from, kind, limit) {
      return request({ from: lonLat(from), to_layer: page.cfg.nearest.layer, kind: kind, limit: limit });
    }

    document.getElementById("journey-close").addEventListener("click", close);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });

    return { plan: plan, show: show, soonest: soonest, clock: clock, duration: duration, fill: fill };
  };
})();
