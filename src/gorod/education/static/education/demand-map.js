// "Demand and places": district boundaries shaded by first choices per place. The table on
// the page holds the same figures, so without JavaScript nothing is lost.
(function () {
  "use strict";

  function colour(ratio) {
    if (ratio === null) { return "#9aa0a6"; }
    if (ratio >= 2) { return "#7f0000"; }
    if (ratio >= 1.5) { return "#b3001b"; }
    if (ratio >= 1) { return "#e34a33"; }
    if (ratio >= 0.5) { return "#fc8d59"; }
    return "#fdd49e";
  }

  function draw() {
    var figure = document.getElementById("demand-map-figure");
    var holder = document.getElementById("demand-map");
    var source = document.getElementById("demand-map-data");
    if (!figure || !holder || !source || !window.L) {
      return;
    }
    var data = JSON.parse(source.textContent);
    figure.hidden = false;
    var map = L.map(holder, {
      scrollWheelZoom: false, attributionControl: false, zoomControl: false, zoomSnap: 0.25
    });
    L.control.zoom({
      zoomInTitle: holder.dataset.zoomIn, zoomOutTitle: holder.dataset.zoomOut
    }).addTo(map);
    var layer = L.geoJSON(data, {
      style: function (feature) {
        return {
          color: "#1a1a1a", weight: 1, fillOpacity: 0.75,
          fillColor: colour(feature.properties.ratio)
        };
      },
      onEachFeature: function (feature, shape) {
        var p = feature.properties;
        shape.bindTooltip(p.name + ": " + p.first_choices + " " + holder.dataset.first +
          " / " + p.places + " " + holder.dataset.places);
      }
    });
    map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    layer.addTo(map);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
