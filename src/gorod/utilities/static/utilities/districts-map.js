// The month by district: each district shaded by its open alerts per meter (Leaflet, no tiles).
// The same figures are in the table under the map.
(function () {
  "use strict";

  function shade(share) {
    var alpha = Math.min(0.15 + share * 20, 0.85);
    return { color: "#b3001b", weight: 2, fillColor: "#b3001b", fillOpacity: alpha };
  }

  function draw() {
    var figure = document.getElementById("districts-map-figure");
    var holder = document.getElementById("districts-map");
    var source = document.getElementById("districts-map-data");
    if (!figure || !holder || !source || !window.L) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var layer = L.geoJSON(data, {
      style: function (feature) {
        var p = feature.properties;
        return shade(p.meters ? p.open_alerts / p.meters : 0);
      },
      onEachFeature: function (feature, item) {
        var p = feature.properties;
        item.bindTooltip(p.name + ": " + p.open_alerts + " " + holder.dataset.labelAlerts +
          ", " + p.meters + " " + holder.dataset.labelMeters);
      }
    });
    figure.hidden = false;
    var map = L.map(holder, { scrollWheelZoom: false, attributionControl: false, zoomControl: false });
    L.control.zoom({ zoomInTitle: holder.dataset.zoomIn, zoomOutTitle: holder.dataset.zoomOut }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [16, 16] });
    layer.addTo(map);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
