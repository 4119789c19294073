/* The citizens' map: sector layers as vector tiles, search, "nearest to me" (by distance, or by arrival
 * time by public transport) and directions (journey.js).
 * Everything the page needs to start is in #map-config (texts, layers, tile URLs, base map);
 * the only other calls are to this server's API under config.apiBase. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.text;
  var numbers = new Intl.NumberFormat(cfg.lang === "vi" ? "vi-VN" : "en", { maximumFractionDigits: 1 });

  var map = L.map("map", { zoomControl: false }).setView([cfg.center[1], cfg.center[0]], cfg.zoom);
  L.control.zoom({ zoomInTitle: T.zoom_in, zoomOutTitle: T.zoom_out }).addTo(map);
  // The base map may be unreachable (offline, blocked): the sector layers do not depend on it.
  L.tileLayer(cfg.basemap.url, { attribution: cfg.basemap.attribution, maxZoom: 19 }).addTo(map);
  L.control.locate({
    strings: { title: T.locate }, showPopup: false, flyTo: false,
    onLocationError: function () { message(T.location_failed); }
  }).addTo(map);
  map.createPane("highlight").style.zIndex = 650;

  // VectorGrid draws points in tile pixels and gives them no LatLng, but Leaflet >= 1.8 asks a
  // clicked point for one (and throws without it): derive it from the tile and the pixel.
  var circleLatLng = L.CircleMarker.prototype.getLatLng;
  L.CircleMarker.include({
    getLatLng: function () {
      if (this._latlng || !this._renderer || !this._renderer.getCoord) return circleLatLng.call(this);
      var tile = this._renderer.getCoord();
      var size = this._renderer._size;
      return map.unproject(L.point(tile.x * size.x, tile.y * size.y).add(this._point), tile.z);
    }
  });

  var overlays = {};
  var onTap = null;  // while the page asks the citizen to tap where they are: what to do with that point
  var you = null;
  var highlight = null;
  var journey = window.journeyPlanner({ map: map, cfg: cfg, text: T, el: el, query: query, distance: distance,
                                        toggleSheet: toggleSheet });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k] !== undefined && params[k] !== ""; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
  }

  function getJSON(path, params) {
    return fetch(cfg.apiBase + path + "?" + query(params), { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  function distance(metres) {
    return metres < 1000 ? Math.round(metres) + " " + T.metres : numbers.format(metres / 1000) + " " + T.kilometres;
  }

  function styleFor(layer) {
    var colors = {};
    layer.legend.forEach(function (k) { colors[k.kind] = k.color; });
    return function (props, zoom) {
      var color = colors[props.kind] || layer.color;
      var count = props.count || 1;
      var radius = zoom < 14 ? 5 : zoom < 16 ? 6 : 8;
      return { radius: count > 1 ? Math.min(14, radius + Math.log2(count) * 1.5) : radius, weight: 2, color: color, opacity: 1,
               fill: true, fillColor: color, fillOpacity: count > 1 ? 0.6 : 0.9 };
    };
  }

  function popupContent(props, latlng) {
    var box = el("div", "popup");
    box.appendChild(el("h3", null, props.name));
    if (props.count > 1) box.appendChild(el("p", "more", T.more_nearby.replace("{n}", props.count - 1)));
    [["address", props.address], ["phone", props.phone], ["hours", props.opening_hours]].forEach(function (row) {
      if (!row[1]) return;
      var p = el("p");
      p.appendChild(el("strong", null, T[row[0]] + ": "));
      if (row[0] === "phone") {
        var tel = el("a", null, row[1]);
        tel.href = "tel:" + row[1].replace(/[^0-9+]/g, "");
        p.appendChild(tel);
      } else {
        p.appendChild(document.createTextNode(row[1]));
      }
      box.appendChild(p);
    });
    var go = directionsButton(props.name);
    go.addEventListener("click", function () {
      map.closePopup();
      withPosition(function (from) { journey.plan(from, { name: props.name, lat: latlng.lat, lng: latlng.lng }); });
    });
    box.appendChild(go);
    return box;
  }

  function directionsButton(name) {
    var button = el("button", "directions", T.directions);
    button.type = "button";
    if (name) button.setAttribute("aria-label", T.directions_to.replace("{name}", name));
    return button;
  }

  cfg.layers.forEach(function (layer) {
    var pane = "layer-" + layer.slug;
    map.createPane(pane);
    var styles = {};
    styles[layer.slug] = styleFor(layer);
    var grid = L.vectorGrid.protobuf(layer.tiles, {
      pane: pane, vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: 22, maxZoom: 22,
      getFeatureId: function (f) { return f.properties.id; }
    });
    grid.on("click", function (e) {
      if (tapped(e.latlng)) return;
      L.popup().setLatLng(e.latlng).setContent(popupContent(e.layer.properties, e.latlng)).openOn(map);
    });
    if (layer.on) grid.addTo(map);
    overlays[layer.slug] = grid;
  });

  document.querySelectorAll("#layers-panel input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var grid = overlays[box.dataset.layer];
      if (box.checked) map.addLayer(grid); else map.removeLayer(grid);
    });
  });

  function toggleSheet(id, show) {
    var sheet = document.getElementById(id);
    sheet.hidden = !show;
    if (id === "layers-panel") document.getElementById("layers-toggle").setAttribute("aria-expanded", String(show));
  }

  document.getElementById("layers-toggle").addEventListener("click", function () {
    toggleSheet("layers-panel", document.getElementById("layers-panel").hidden);
  });
  document.querySelectorAll("[data-close]").forEach(function (button) {
    button.addEventListener("click", function () { toggleSheet(button.dataset.close, false); });
  });

  function message(text) {
    document.getElementById("message").textContent = text || "";
    if (text) toggleSheet("results", true);
  }

  function featureLatLng(feature) {
    var g = feature.geometry;
    if (g.type === "Point") return L.latLng(g.coordinates[1], g.coordinates[0]);
    return L.geoJSON(feature).getBounds().getCenter();
  }

  function focus(feature) {
    var latlng = featureLatLng(feature);
    if (feature.geometry.type === "Point") {
      map.setView(latlng, Math.max(map.getZoom(), 16));
    } else {
      map.fitBounds(L.geoJSON(feature).getBounds(), { maxZoom: 16 });
    }
    if (highlight) map.removeLayer(highlight);
    highlight = L.circleMarker(latlng, { pane: "highlight", radius: 14, color: "#111", weight: 3, fill: false }).addTo(map);
    L.popup().setLatLng(latlng).setContent(popupContent(feature.properties, latlng)).openOn(map);
  }

  function arrivalText(props) {
    return journey.fill(T.arrive_at, { time: journey.clock(props.arrival) }) + " · " + journey.duration(props.duration_s);
  }

  /* Directions to a listed place: the itinerary the reach-soonest answer carries, else a new plan. */
  function directionsItem(feature) {
    var latlng = featureLatLng(feature);
    var dest = { name: feature.properties.name, lat: latlng.lat, lng: latlng.lng };
    var button = directionsButton(feature.properties.name);
    button.addEventListener("click", function () {
      if (feature.itinerary) journey.show(dest, feature.itinerary, button);
      else journey.plan(you.getLatLng(), dest, button);
    });
    return button;
  }

  function showResults(listId, title, features) {
    ["near-results", "search-results"].forEach(function (id) { document.getElementById(id).textContent = ""; });
    document.getElementById("results-title").textContent = title;
    message(features.length ? "" : T.no_results);
    var list = document.getElementById(listId);
    features.forEach(function (feature) {
      var item = el("li");
      item.dataset.id = feature.id;
      var button = el("button", "place");
      button.type = "button";
      button.appendChild(el("span", "name", feature.properties.name));
      if (feature.properties.arrival) {
        button.appendChild(el("span", "dist when", arrivalText(feature.properties)));
      } else if (feature.properties.distance_m !== undefined) {
        button.appendChild(el("span", "dist", distance(feature.properties.distance_m)));
      }
      if (feature.properties.address) button.appendChild(el("span", "addr", feature.properties.address));
      button.addEventListener("click", function () { focus(feature); });
      item.appendChild(button);
      if (listId === "near-results") item.appendChild(directionsItem(feature));
      list.appendChild(item);
    });
    toggleSheet("results", true);
  }

  function placeYou(latlng) {
    if (you) map.removeLayer(you);
    you = L.circleMarker(latlng, { pane: "highlight", radius: 9, color: "#fff", weight: 3, fillColor: "#1a73e8", fillOpacity: 1 }).addTo(map);
    map.fire("citizenlocated", { latlng: latlng }); // the alerts near the citizen follow (alerts.js)
    return latlng;
  }

  var soonest = document.getElementById("near-soonest");

  function findNearest(here) {
    var kind = document.getElementById("near-kind").value;
    if (soonest.checked) message(T.journey_loading);
    var search = soonest.checked ? journey.soonest(here, kind, 5)
      : getJSON("/nearest", { layer: cfg.nearest.layer, lon: here.lng.toFixed(6), lat: here.lat.toFixed(6), limit: 5, kind: kind });
    search.then(function (fc) {
      showResults("near-results", soonest.checked ? T.soonest_title : T.near_title, fc.features);
      if (fc.features.length) {
        var bounds = L.latLngBounds([here].concat(fc.features.map(featureLatLng)));
        map.fitBounds(bounds, { padding: [40, 40], maxZoom: 16 });
      }
    }).catch(function (error) { message(error.text || T.load_error); });
  }

  /* A tap on the map, or on a feature, while the page waits for the citizen's position: that position. */
  function tapped(latlng) {
    if (!onTap) return false;
    var then = onTap;
    onTap = null;
    map.getContainer().classList.remove("tap-mode");
    then(latlng);
    return true;
  }

  function askForTap(then) {
    onTap = then;
    map.getContainer().classList.add("tap-mode");
    message(T.no_location);
  }

  /* The citizen's position from the device, or from a tap on the map when the device will not say. */
  function locate(then) {
    var placed = function (latlng) { then(placeYou(latlng)); };
    if (!navigator.geolocation) { askForTap(placed); return; }
    message(T.locating);
    navigator.geolocation.getCurrentPosition(
      function (pos) { message(""); placed(L.latLng(pos.coords.latitude, pos.coords.longitude)); },
      function () { askForTap(placed); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function withPosition(then) {
    if (you) then(you.getLatLng()); else locate(then);
  }

  document.getElementById("near-me").addEventListener("click", function () { locate(findNearest); });

  soonest.addEventListener("change", function () {
    if (you && document.getElementById("near-results").children.length) findNearest(you.getLatLng());
  });

  map.on("click", function (e) { tapped(e.latlng); });

  document.getElementById("search").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = document.getElementById("search-q").value.trim();
    if (!q) return;
    var c = map.getCenter();
    getJSON("/search", { q: q, near: c.lng.toFixed(5) + "," + c.lat.toFixed(5), limit: 10 })
      .then(function (fc) { showResults("search-results", T.search_title, fc.features); })
      .catch(function () { message(T.load_error); });
  });
})();
