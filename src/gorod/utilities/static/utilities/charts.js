// Charts of a meter's monthly consumption and of an alert's evidence (Chart.js).
// The figures are on the page as tables too, so without JavaScript nothing is lost.
(function () {
  "use strict";

  var ACTUAL = "#1d4ed8";
  var ESTIMATED = "#b45309";

  function datasetFor(data, kind) {
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
        type: kind,
        data: { labels: data.labels, datasets: datasetFor(data, kind) },
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
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
