// Draws every chart of a report page from its JSON block (script.rhi-chart-data, data-canvas naming the
// canvas): no inline script, as the CSP forbids it. The figures, colours and words all come from the server.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var printing = document.body.classList.contains("rhi-print-page");

  function config(spec) {
    var percent = spec.percent;
    var valueAxis = {
      beginAtZero: true,
      stacked: spec.stacked,
      ticks: percent ? { callback: function (value) { return value + "%"; } } : { precision: 0 }
    };
    if (percent) {
      valueAxis.min = 0;
      valueAxis.max = 100;
    }
    var labelAxis = { stacked: spec.stacked, ticks: { autoSkip: true } };
    var scales = spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
    return {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (d, n) {
          var set = { label: d.label, data: d.data, backgroundColor: d.colour, borderColor: d.colour };
          if (spec.type === "line") {
            set.pointStyle = ["circle", "rect", "triangle", "rectRot"][n % 4];
            set.borderDash = d.dash || [];
            set.spanGaps = false;
          }
          return set;
        })
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        // Printing: the chart is drawn once at the size the paper gives it, sharp at print resolution.
        devicePixelRatio: printing ? 2 : undefined,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { position: "bottom", display: spec.datasets.length > 1,
                             labels: printing ? { boxWidth: 10, font: { size: 9 } } : {} } },
        scales: scales
      }
    };
  }

  Array.prototype.forEach.call(document.querySelectorAll("script.rhi-chart-data"), function (source) {
    var canvas = document.getElementById(source.getAttribute("data-canvas"));
    if (!canvas) {
      return;
    }
    new window.Chart(canvas, config(JSON.parse(source.textContent)));
  });

  // Each chart as a PNG picture: the link is filled in from the drawn canvas when it is used.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-chart-png]"), function (link) {
    var canvas = document.getElementById(link.getAttribute("data-chart-png"));
    if (!canvas) {
      return;
    }
    link.hidden = false;
    link.addEventListener("click", function () {
      link.href = canvas.toDataURL("image/png");
    });
  });
})();
