// "My home": the district boundary and the building on a plain background (no tile server).
// The facts are already on the page as text; the map only adds the picture, so without
// JavaScript nothing is lost.
(function () {
  "use strict";

  function draw() {
    var figure = document.getElementById("home-map-figure");
    var holder = document.getElementById("home-map");
    var source = document.getElementById("home-map-data");
    if (!figure || !holder || !source || !window.L) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var point = [data.building.lat, data.building.lon];
    var layers = [];
    var bounds = L.latLngBounds([point, point]);
    if (data.boundary) {
      var district = L.geoJSON(data.boundary, {
        style: { color: "#b3001b", weight: 2, fillColor: "#b3001b", fillOpacity: 0.08 },
        interactive: false
      });
      bounds = district.getBounds().extend(point);
      layers.push(district);
    }
    layers.push(L.circleMarker(point, {
      radius: 8, color: "#1a1a1a", weight: 2, fillColor: "#1d4ed8", fillOpacity: 1,
      interactive: false
    }));

    figure.hidden = false;
    var map = L.map(holder, { scrollWheelZoom: false, attributionControl: false, zoomControl: false });
    L.control.zoom({
      zoomInTitle: holder.dataset.zoomIn, zoomOutTitle: holder.dataset.zoomOut
    }).addTo(map);
    // The view first: vector layers need it to project their points.
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16 });
    layers.forEach(function (layer) { layer.addTo(map); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
