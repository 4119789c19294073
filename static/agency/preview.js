// Draw a version's features before it is published: with Leaflet when the page has it,
// otherwise as a plain SVG fitted to the features' extent (no base map).
(function () {
  "use strict";
  var box = document.getElementById("preview");
  if (!box) return;
  var NS = "http://www.w3.org/2000/svg";

  function parts(geometry) {
    var c = geometry.coordinates;
    switch (geometry.type) {
      case "Point": return [{point: c}];
      case "MultiPoint": return c.map(function (p) { return {point: p}; });
      case "LineString": return [{line: c}];
      case "MultiLineString": case "Polygon": return c.map(function (l) { return {line: l}; });
      case "MultiPolygon": return [].concat.apply([], c.map(function (p) { return p.map(function (l) { return {line: l}; }); }));
      default: return [];
    }
  }

  function drawSvg(features) {
    var all = [];
    features.forEach(function (f) { parts(f.geometry).forEach(function (p) { all.push(p); }); });
    var xs = [], ys = [];
    all.forEach(function (p) { (p.point ? [p.point] : p.line).forEach(function (c) { xs.push(c[0]); ys.push(c[1]); }); });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var w = 600, h = 400, k = Math.min(w / ((maxX - minX) || 1e-6), h / ((maxY - minY) || 1e-6));
    function x(c) { return ((c[0] - minX) * k).toFixed(1); }
    function y(c) { return ((maxY - c[1]) * k).toFixed(1); }
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "-5 -5 " + (w + 10) + " " + (h + 10));
    svg.setAttribute("role", "img");
    all.forEach(function (p) {
      var el;
      if (p.point) {
        el = document.createElementNS(NS, "circle");
        el.setAttribute("cx", x(p.point)); el.setAttribute("cy", y(p.point)); el.setAttribute("r", "2.5");
      } else {
        el = document.createElementNS(NS, "polyline");
        el.setAttribute("points", p.line.map(function (c) { return x(c) + "," + y(c); }).join(" "));
      }
      el.setAttribute("class", "feature");
      svg.appendChild(el);
    });
    box.appendChild(svg);
  }

  fetch(box.dataset.features, {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (collection) {
      box.dataset.count = collection.features.length;
      if (window.L) {
        var map = window.L.map(box);
        var layer = window.L.geoJSON(collection).addTo(map);
        map.fitBounds(layer.getBounds());
      } else if (collection.features.length) {
        drawSvg(collection.features);
      }
    });
})();
