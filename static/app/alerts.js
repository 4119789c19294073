/* Hazard alerts in force near the citizen: a banner over the map (the most severe first, then "+n more"),
 * their areas on the map under the facility markers, kept up to date without a reload.
 *
 * The change stream opens first, resuming from the layer's last event when the page was made
 * (cfg.alerts.since), and only then are the alerts valid now loaded: events that arrive while a load is
 * under way are replayed on top of its answer, so no change falls between the two. When the stream is
 * refused (503: no stream service) or keeps failing, the page polls `?since=` instead, and tries the stream
 * again every few minutes, so a stream service that comes back is used again. A timer drops an alert when
 * its end passes, so it goes even if the expire event is late.
 * A Leaflet init hook starts it with the page's map, so map.js needs to know nothing of alerts. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var A = cfg.alerts;
  var T = cfg.text;
  var RANK = { extreme: 0, severe: 1, moderate: 2, minor: 3 };
  var COLOR = { extreme: "#7f0000", severe: "#bf360c", moderate: "#ffb300", minor: "#1565c0" };  // as map.css
  var KINDS = ["create", "update", "delete", "expire"];
  var NEAR_M = 5000;           // "near the citizen": within this of the located position
  var MOVED_M = 500;           // a new position this close to the last changes nothing worth a load
  var LIMIT = 200;             // alerts one load asks for: more than a city has in force at once
  var POLL_MS = 15000;
  var STREAM_TRIES = 3;        // connection errors in a row before the page gives up the stream and polls
  var STREAM_RETRY_MS = 300000; // while polling, how often the stream is tried again
  var MAX_WAIT_MS = 3600000;   // setTimeout overflows past 24 days: far ends are looked at again hourly
  var until = new Intl.DateTimeFormat(cfg.lang === "vi" ? "vi-VN" : "en-GB", {
    hour: "2-digit", minute: "2-digit", day: "numeric", month: "numeric", timeZone: A.timezone });

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function getJSON(path, params) {
    return fetch(path + "?" + new URLSearchParams(params), { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  /* The text in the page's language; the Vietnamese one (and its lang) when there is no English. */
  function say(node, props, name) {
    var english = cfg.lang === "en" && props[name + "_en"];
    node.textContent = english || props[name] || "";
    node.lang = english ? "en" : "vi";
  }

  function at(props, name) {
    return props[name] ? Date.parse(props[name]) : NaN;  // NaN: no such end, so never passed
  }

  function inForce(feature, now) {
    return !(at(feature.properties, "valid_from") > now) && !(at(feature.properties, "valid_to") <= now);
  }

  function bySeverity(a, b) {
    var p = a.properties, q = b.properties;
    return (RANK[p.severity] - RANK[q.severity]) || (at(q, "valid_from") - at(p, "valid_from")) || (a.id < b.id ? -1 : 1);
  }

  function severityText(feature) {
    return A.severity[feature.properties.severity] || feature.properties.severity;
  }

  function start(map) {
    var store = {};        // id -> {feature, bounds, seq}: the alerts known in `loaded` (in force, or later)
    var drawn = {};        // id -> {feature, layer}: what is on the map
    var announced = {};    // ids in the banner at the last render: only others are announced
    var pending = null;    // events received while a load is under way; null when none is
    var loadAgain = false;
    var loaded = null;     // the bounds the last load covered
    var located = null;    // the citizen's position, once the page knows it
    var last = A.since;    // id of the last event received
    var polls = 0;         // id of the current poll loop: any other ends at its next turn
    var polling = false;   // whether a poll loop runs (instead of the stream)
    var seq = 0;
    var shownKey = "";
    var timer = null;
    var section = document.getElementById("alerts");
    map.createPane("alerts").style.zIndex = 350;  // over the base map (200), under the sector layers (400)

    function near() {
      return located ? located.toBounds(2 * NEAR_M) : map.getBounds();
    }

    /* `known`: its entry before a load; kept when the alert is unchanged, so it is not drawn or shown anew. */
    function keep(feature, known) {
      var bounds = L.geoJSON(feature).getBounds();
      if (loaded && bounds.intersects(loaded) && !(at(feature.properties, "valid_to") <= Date.now())) {
        var same = known && JSON.stringify(known.feature) === JSON.stringify(feature);
        store[feature.id] = same ? known : { feature: feature, bounds: bounds, seq: ++seq };
      } else {
        delete store[feature.id];
      }
    }

    function apply(event) {
      if (event.feature && (event.type === "create" || event.type === "update")) keep(event.feature);
      else delete store[event.featureId];
    }

    /* Events come in order; one already received (a poll answering after the stream took over) is skipped. */
    function receive(event) {
      if (Number(event.id) <= Number(last)) return;
      last = event.id;
      if (pending) pending.push(event);
      else { apply(event); render(); }
    }

    /* The alerts in force in the area wanted now; those not yet in force are known from events alone. */
    function load() {
      if (pending) { loadAgain = true; return; }
      pending = [];
      var area = located ? near() : map.getBounds().pad(0.5);
      var bbox = [area.getWest(), area.getSouth(), area.getEast(), area.getNorth()]
        .map(function (n) { return n.toFixed(5); }).join(",");
      getJSON(A.items, { bbox: bbox, limit: LIMIT }).then(function (fc) {
        var before = store, later = {}, now = Date.now();
        Object.keys(store).forEach(function (id) {
          if (at(store[id].feature.properties, "valid_from") > now && store[id].bounds.intersects(area)) later[id] = store[id];
        });
        store = later;
        loaded = area;
        fc.features.forEach(function (feature) { keep(feature, before[feature.id]); });
      }, function () {
        if (!loaded) setTimeout(load, POLL_MS);
      }).then(function () {
        var events = pending;
        pending = null;
        events.forEach(apply);
        render();
        if (loadAgain) { loadAgain = false; load(); }
      });
    }

    function follow() {
      if (!window.EventSource) { pollInstead(); return; }
      var source = new EventSource(A.stream + "?" + new URLSearchParams({ lastEventId: last }));
      var errors = 0;
      KINDS.forEach(function (kind) {
        source.addEventListener(kind, function (e) { errors = 0; receive(JSON.parse(e.data)); });
      });
      source.addEventListener("open", function () {
        errors = 0;
        if (polling) { polling = false; polls += 1; }  // the stream is back: the poll loop ends
      });
      source.addEventListener("error", function () {
        errors += 1;
        if (source.readyState !== EventSource.CLOSED && errors < STREAM_TRIES) return;
        source.close();
        pollInstead();
        setTimeout(follow, STREAM_RETRY_MS);
      });
    }

    function pollInstead() {
      if (!polling) { polling = true; poll(++polls); }
    }

    function poll(run) {
      if (run !== polls) return;
      getJSON(A.poll, { since: last }).then(function (answer) {
        answer.events.forEach(receive);
        if (Number(answer.last) > Number(last)) last = answer.last;
        var more = answer.links.some(function (link) { return link.rel === "next"; });
        setTimeout(poll, more ? 0 : POLL_MS, run);
      }, function () { setTimeout(poll, POLL_MS, run); });
    }

    function draw(id, feature) {
      var current = drawn[id];
      if (current && current.feature === feature) return;
      if (current) { map.removeLayer(current.layer); delete drawn[id]; }
      if (!feature) return;
      var color = COLOR[feature.properties.severity] || COLOR.minor;
      var line = /LineString/.test(feature.geometry.type);
      drawn[id] = { feature: feature, layer: L.geoJSON(feature, {
        pane: "alerts", interactive: false,
        style: { color: color, weight: line ? 6 : 3, opacity: 0.9, fillColor: color, fillOpacity: 0.2 },
        pointToLayer: function (_, latlng) { return L.circleMarker(latlng, { pane: "alerts", interactive: false, radius: 12 }); }
      }).addTo(map) };
    }

    function zoomTo(feature) {
      map.fitBounds(L.geoJSON(feature).getBounds(), { maxZoom: 16, padding: [24, 24] });
    }

    function announce(shown) {
      var now = {}, news = [];
      shown.forEach(function (f) {
        now[f.id] = true;
        if (!announced[f.id]) news.push(fill(T.alert_announce, { severity: severityText(f), headline: headlineOf(f) }));
      });
      announced = now;
      if (news.length) document.getElementById("alerts-news").textContent = news.join(". ");
    }

    function headlineOf(feature) {
      var node = el("span");
      say(node, feature.properties, "headline");
      return node.textContent;
    }

    function detail(props) {
      var box = document.getElementById("alert-detail");
      box.textContent = "";
      [["alert_instruction", "instruction"], [null, "description"], ["alert_source", "source"]].forEach(function (row) {
        var p = el("p"), text = el("span");
        say(text, props, row[1]);
        if (!text.textContent) return;
        if (row[0]) p.appendChild(el("strong", null, T[row[0]] + ": "));
        p.appendChild(text);
        box.appendChild(p);
      });
      document.getElementById("alert-expand").hidden = !box.children.length;
    }

    function others(rest) {
      var button = document.getElementById("alert-others"), list = document.getElementById("alert-list");
      button.hidden = !rest.length;
      button.textContent = fill(rest.length === 1 ? T.alerts_others_one : T.alerts_others_many, { n: rest.length });
      if (!rest.length) { list.hidden = true; button.setAttribute("aria-expanded", "false"); }
      list.textContent = "";
      rest.forEach(function (f) {
        var item = el("li"), pick = el("button", "alert-item sev-" + f.properties.severity), headline = el("span", "headline");
        pick.type = "button";
        pick.appendChild(el("span", "sev", severityText(f)));
        say(headline, f.properties, "headline");
        pick.appendChild(headline);
        pick.addEventListener("click", function () { zoomTo(f); });
        item.appendChild(pick);
        list.appendChild(item);
      });
    }

    function banner(shown) {
      section.hidden = !shown.length;
      if (!shown.length) return;
      var top = shown[0], props = top.properties;
      document.getElementById("alert-top").className = "alert sev-" + props.severity;
      document.getElementById("alert-top").dataset.id = top.id;
      document.getElementById("alert-sev").textContent = severityText(top);
      say(document.getElementById("alert-headline"), props, "headline");
      document.getElementById("alert-until").textContent =
        props.valid_to ? fill(T.alert_until, { time: until.format(new Date(props.valid_to)) }) : "";
      document.getElementById("alert-zoom").setAttribute("aria-label",
        fill(T.alert_zoom, { severity: severityText(top), headline: headlineOf(top) }));
      detail(props);
      others(shown.slice(1));
    }

    /* Looks again when the next start or end passes. */
    function schedule(now) {
      clearTimeout(timer);
      var next = Infinity;
      Object.keys(store).forEach(function (id) {
        var props = store[id].feature.properties;
        [at(props, "valid_from"), at(props, "valid_to")].forEach(function (t) { if (t > now && t < next) next = t; });
      });
      if (next < Infinity) timer = setTimeout(render, Math.min(next - now, MAX_WAIT_MS));
    }

    function render() {
      var now = Date.now(), area = near(), shown = [];
      Object.keys(store).forEach(function (id) {
        if (at(store[id].feature.properties, "valid_to") <= now) delete store[id];
      });
      Object.keys(drawn).forEach(function (id) { if (!store[id]) draw(id, null); });
      Object.keys(store).forEach(function (id) {
        var entry = store[id], on = inForce(entry.feature, now);
        draw(id, on ? entry.feature : null);
        if (on && entry.bounds.intersects(area)) shown.push(entry.feature);
      });
      shown.sort(bySeverity);
      var key = shown.map(function (f) { return f.id + ":" + store[f.id].seq; }).join(" ");
      if (key !== shownKey) {  // rebuilt only on a change: a focused "+n more" entry keeps its focus
        shownKey = key;
        announce(shown);
        banner(shown);
        map.invalidateSize();
      }
      schedule(now);
    }

    function toggle(button, id) {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      document.getElementById(id).hidden = !open;
      map.invalidateSize();
    }

    document.getElementById("alert-zoom").addEventListener("click", function () {
      var entry = store[document.getElementById("alert-top").dataset.id];
      if (entry) zoomTo(entry.feature);
    });
    document.getElementById("alert-expand").addEventListener("click", function () { toggle(this, "alert-detail"); });
    document.getElementById("alert-others").addEventListener("click", function () { toggle(this, "alert-list"); });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) render(); });
    map.on("locationfound citizenlocated", function (e) {  // the locate control reports every few seconds
      if (located && located.distanceTo(e.latlng) < MOVED_M) return;
      located = e.latlng;
      load();
    });
    map.on("moveend", function () {
      if (!located && (!loaded || !loaded.contains(map.getBounds()))) load(); else render();
    });
    follow();
    load();
  }

  L.Map.addInitHook(function () {
    var map = this;
    if (map.getContainer().id === "map") map.whenReady(function () { start(map); });
  });
})();
