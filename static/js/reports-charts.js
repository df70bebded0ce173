// Draws the dashboard's two charts from the JSON block #kpi-chart-data (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var source = document.getElementById("kpi-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var common = {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { position: "bottom" } }
  };
  var counts = document.getElementById("chart-counts");
  if (counts) {
    new window.Chart(counts, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Children who went missing", data: data.children_missing, backgroundColor: "#1d70b8" },
          { label: "Missing episodes", data: data.episodes, backgroundColor: "#f47738" }
        ]
      },
      options: Object.assign({}, common, { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } })
    });
  }
  var rates = document.getElementById("chart-rates");
  if (rates) {
    new window.Chart(rates, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "RHI offer rate for children", data: data.offer_rate_children, borderColor: "#1d70b8",
            backgroundColor: "#1d70b8", pointStyle: "circle" },
          { label: "RHIs done % episodes", data: data.rhi_done_rate_episodes, borderColor: "#f47738",
            backgroundColor: "#f47738", pointStyle: "rect", borderDash: [6, 3] },
          { label: "RHIs done % episodes, all LAC", data: data.lac_rhi_done_rate_episodes, borderColor: "#00703c",
            backgroundColor: "#00703c", pointStyle: "triangle", borderDash: [2, 2] }
        ]
      },
      options: Object.assign({}, common, {
        spanGaps: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: function (value) { return value + "%"; } } } }
      })
    });
  }
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
