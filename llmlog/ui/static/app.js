// llmlog ui: pause/resume the calls page's refresh, copy a call's link, draw the charts.
// Stored values reach the page only as escaped HTML (server-rendered) or as JSON data
// read with JSON.parse and set as text: nothing here builds HTML from them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const pause = document.getElementById("pause");
  if (pause) {
    const live = document.getElementById("live");
    pause.addEventListener("click", () => {
      const paused = document.body.classList.toggle("paused");
      pause.textContent = paused ? "Resume" : "Pause";
      live.textContent = paused ? "paused" : "live: new calls appear as they land";
    });
    // htmx asks before each poll; a paused page says no.
    document.body.addEventListener("htmx:confirm", (event) => {
      if (document.body.classList.contains("paused")) event.preventDefault();
    });
  }
  const copy = document.getElementById("copy");
  if (copy) {
    copy.addEventListener("click", () => {
      const field = document.getElementById("permalink");
      field.select();
      if (navigator.clipboard) navigator.clipboard.writeText(field.value);
      copy.textContent = "Copied";
    });
  }
  const data = document.getElementById("chart-data");
  if (data) drawCharts(JSON.parse(data.textContent));
});

const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

function formatter(unit) {
  if (unit === "usd") return (v) => v == null ? "" : "$" + (Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
  if (unit === "ms") return (v) => v == null ? "" : v >= 1000 ? (v / 1000).toFixed(1) + " s" : v.toFixed(v >= 100 ? 0 : 1) + " ms";
  if (unit === "pct") return (v) => v == null ? "" : (v * 100).toFixed(1) + "%";
  return (v) => v == null ? "" : v.toFixed(1);
}

function drawCharts(charts) {
  charts.forEach((chart, i) => {
    const box = document.querySelector(`[data-chart="${i}"]`);
    if (!box || chart.x.length === 0) return;
    const fmt = formatter(chart.unit);
    const options = {
      width: Math.max(box.clientWidth - 8, 300),
      height: 220,
      scales: { x: { time: true } },
      series: [{}].concat(chart.series.map((s, n) => ({
        label: s.label, stroke: COLOURS[n % COLOURS.length], width: 2,
        value: (u, v) => fmt(v), spanGaps: false, points: { show: chart.x.length < 40 },
      }))),
      axes: [{}, { values: (u, ticks) => ticks.map(fmt), size: 70 }],
    };
    const plot = new uPlot(options, [chart.x].concat(chart.series.map((s) => s.values)), box);
    box.dataset.drawn = String(chart.series.length);
    plot.root.classList.add("drawn");
  });
}
