// The coverage page: fetch /api/coverage, draw each ward as an SVG circle, list the worst-served first.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("config").textContent);
  var t = config.text;
  var svg = document.getElementById("wards");
  var list = document.getElementById("worst");
  var status = document.getElementById("status");
  var kindSelect = document.getElementById("kind");
  var radiusSelect = document.getElementById("radius");
  var csvLink = document.getElementById("csv");
  var SVG_NS = "http://www.w3.org/2000/svg";
  var SIZE = 400, PAD = 16, LISTED = 20;
  var number = new Intl.NumberFormat(config.lang === "en" ? "en-GB" : "vi-VN", { maximumFractionDigits: 1 });

  function query(format) {
    var params = new URLSearchParams({ layer: config.layer, radius: radiusSelect.value, lang: config.lang });
    if (kindSelect.value) params.set("kind", kindSelect.value);
    if (config.province) params.set("province", config.province);
    if (format) params.set("f", format);
    return config.api + "?" + params.toString();
  }

  function colour(metres) {
    if (metres === null) return "#bdbdbd";
    for (var i = 0; i < config.classes.length; i++) {
      var c = config.classes[i];
      if (c.upTo === null || metres < c.upTo) return c.color;
    }
    return config.classes[config.classes.length - 1].color;
  }

  function distance(metres) {
    if (metres === null) return t.none;
    return metres < 1000 ? number.format(Math.round(metres)) + " m" : number.format(metres / 1000) + " km";
  }

  function quantile(values, q) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    return sorted[Math.round(q * (sorted.length - 1))];
  }

  // An equirectangular plane fitted to the wards: plenty for a province, and no map library to ship. It fits
  // the middle 98 % of them, so one island far out at sea does not shrink the city to a corner; the list
  // below still names it.
  function projection(features) {
    var xs = features.map(function (f) { return f.geometry.coordinates[0]; });
    var ys = features.map(function (f) { return f.geometry.coordinates[1]; });
    var west = quantile(xs, 0.01), east = quantile(xs, 0.99);
    var south = quantile(ys, 0.01), north = quantile(ys, 0.99);
    var k = Math.cos((south + north) / 2 * Math.PI / 180);
    var scale = (SIZE - 2 * PAD) / Math.max((east - west) * k, north - south, 1e-6);
    return {
      x: function (lon) { return PAD + (lon - west) * k * scale; },
      y: function (lat) { return PAD + (north - lat) * scale; },
      km: scale / 111.32
    };
  }

  function draw(features) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (!features.length) return;
    var p = projection(features);
    // Largest first, so small inner-city wards stay on top and clickable.
    features.slice().sort(function (a, b) { return b.properties.area_km2 - a.properties.area_km2; })
      .forEach(function (f) {
        var props = f.properties;
        var circle = document.createElementNS(SVG_NS, "circle");
        circle.setAttribute("cx", p.x(f.geometry.coordinates[0]).toFixed(1));
        circle.setAttribute("cy", p.y(f.geometry.coordinates[1]).toFixed(1));
        circle.setAttribute("r", Math.max(1.5, Math.sqrt((props.area_km2 || 1) / Math.PI) * p.km).toFixed(1));
        circle.setAttribute("fill", colour(props.nearest_m));
        circle.setAttribute("data-ward", props.ward_code);
        var title = document.createElementNS(SVG_NS, "title");
        title.textContent = props.ward + ": " + distance(props.nearest_m);
        circle.appendChild(title);
        svg.appendChild(circle);
      });
  }

  function listWorst(features) {
    list.textContent = "";
    features.slice(0, LISTED).forEach(function (f) {
      var props = f.properties;
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "far";
      name.textContent = props.ward + " — " + distance(props.nearest_m);
      var detail = document.createElement("small");
      detail.textContent = (props.nearest_name ? t.nearest + ": " + props.nearest_name + " · " : "") +
        props.within_radius + " " + t.within + " · " + t.area + " " + number.format(props.area_km2) + " km²";
      item.appendChild(name);
      item.appendChild(detail);
      item.addEventListener("mouseenter", function () { highlight(props.ward_code, true); });
      item.addEventListener("mouseleave", function () { highlight(props.ward_code, false); });
      list.appendChild(item);
    });
  }

  function highlight(code, on) {
    var circle = svg.querySelector('circle[data-ward="' + code + '"]');
    if (circle) circle.classList.toggle("on", on);
  }

  function load() {
    status.textContent = t.loading;
    csvLink.href = query("csv");
    fetch(query(), { headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (body) {
        draw(body.features);
        listWorst(body.features);   // the API answers worst-served first
        status.textContent = "";
      })
      .catch(function () { status.textContent = t.load_error; });
  }

  kindSelect.addEventListener("change", load);
  radiusSelect.addEventListener("change", load);
  load();
}());
