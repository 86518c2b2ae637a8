// "My home": the district boundary and the building on a plain background. The facts are
// already on the page as text; the map only adds the picture, so without JS nothing is lost.
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
    figure.hidden = false;
    var map = L.map(holder, { scrollWheelZoom: false, attributionControl: false });
    var point = [data.building.lat, data.building.lon];
    var bounds = L.latLngBounds([point, point]);
    if (data.boundary) {
      var district = L.geoJSON(data.boundary, {
        style: { color: "#b3001b", weight: 2, fillColor: "#b3001b", fillOpacity: 0.08 },
        interactive: false
      }).addTo(map);
      bounds = district.getBounds().extend(point);
    }
    L.circleMarker(point, {
      radius: 8, color: "#1a1a1a", weight: 2, fillColor: "#1d4ed8", fillOpacity: 1,
      interactive: false
    }).addTo(map);
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16 });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
