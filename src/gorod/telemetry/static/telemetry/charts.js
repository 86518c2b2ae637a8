// Telemetry charts: each <canvas> has its data beside it in a JSON script element
// (id + "-data"). The figures are also on the page as text, so without JavaScript
// nothing is lost; the chart only adds the picture.
(function () {
  "use strict";

  function draw() {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("canvas[id^='chart-']").forEach(function (canvas) {
      var source = document.getElementById(canvas.id + "-data");
      if (!source) {
        return;
      }
      var data = JSON.parse(source.textContent);
      new window.Chart(canvas, {
        type: data.kind,
        data: {
          labels: data.labels,
          datasets: [{
            label: data.label,
            data: data.values,
            borderColor: "#1d4ed8",
            backgroundColor: data.kind === "bar" ? "rgba(29, 78, 216, 0.55)" : "rgba(29, 78, 216, 0.12)",
            pointRadius: data.values.length > 60 ? 0 : 2,
            borderWidth: 2,
            spanGaps: false,
            fill: data.kind === "line"
          }]
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: {
            x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
            y: { beginAtZero: data.kind === "bar" }
          }
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
