// Charts of a meter's monthly consumption and of an alert's evidence (Chart.js).
// The figures are on the page as tables too, so without JavaScript nothing is lost.
(function () {
  "use strict";

  var ACTUAL = "#1d4ed8";
  var ESTIMATED = "#b45309";

  function pad(values, before, after) {
    return new Array(before).fill(null).concat(values, new Array(after).fill(null));
  }

  function forecastSets(data) {
    var past = data.history.length;
    var ahead = data.yhat.length;
    return [
      { label: data.legend.history, data: pad(data.history, 0, ahead), borderColor: ACTUAL, pointRadius: 0, borderWidth: 2 },
      { label: data.legend.yhat, data: pad(data.yhat, past, 0), borderColor: ESTIMATED, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
      { label: data.legend.band, data: pad(data.hi, past, 0), borderColor: "transparent", backgroundColor: "rgba(180, 83, 9, 0.18)", pointRadius: 0, fill: "+1" },
      { label: data.legend.band, data: pad(data.lo, past, 0), borderColor: "transparent", pointRadius: 0, fill: false }
    ];
  }

  function datasetFor(data, kind) {
    if (kind === "forecast") {
      return forecastSets(data);
    }
    if (kind === "line") {
      return [{ label: data.title, data: data.values, borderColor: ACTUAL, pointRadius: 0, borderWidth: 2 }];
    }
    var estimated = data.estimated || [];
    return [{
      label: data.legend ? data.legend.actual : data.title,
      data: data.values,
      backgroundColor: data.values.map(function (_, i) { return estimated[i] ? ESTIMATED : ACTUAL; })
    }];
  }

  function draw() {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("canvas.history-chart").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.source);
      if (!source) {
        return;
      }
      var data = JSON.parse(source.textContent);
      var kind = canvas.dataset.kind || "bar";
      canvas.closest("figure").hidden = false;
      new window.Chart(canvas, {
        type: kind === "forecast" ? "line" : kind,
        data: { labels: data.labels, datasets: datasetFor(data, kind) },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: {
            legend: {
              display: kind === "forecast",
              // The band is drawn by two datasets; name it once.
              labels: { filter: function (item) { return item.datasetIndex !== 3; } }
            }
          },
          scales: { y: { beginAtZero: true, title: { display: Boolean(data.unit), text: data.unit } } }
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
