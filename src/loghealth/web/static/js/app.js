/* loghealth dashboard behaviour: theme toggle, charts (Chart.js), live feed upkeep, bulk selection.
   Pages work without it (forms and links); this only enhances them. No inline scripts (CSP). */
(function () {
  "use strict";

  var THEME_KEY = "loghealth-theme";
  var FEED_MAX_ROWS = 50;
  var charts = [];

  /* ---- theme ------------------------------------------------------------------------------ */
  function effectiveTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen === "dark" || chosen === "light") return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function syncThemeButton() {
    var button = document.getElementById("theme-toggle");
    if (button) button.setAttribute("aria-pressed", effectiveTheme() === "dark" ? "true" : "false");
  }

  function toggleTheme() {
    var next = effectiveTheme() === "dark" ? "light" : "dark";
    document.documentElement.setAttribute("data-theme", next);
    try { window.localStorage.setItem(THEME_KEY, next); } catch (ignored) { /* not persisted */ }
    syncThemeButton();
    redrawCharts();
  }

  /* ---- charts ----------------------------------------------------------------------------- */
  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function readData(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function baseOptions() {
    var grid = cssVar("--border");
    var text = cssVar("--muted");
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false }, tooltip: { enabled: true } },
      scales: {
        x: { grid: { color: grid, display: false }, ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 } },
        y: { beginAtZero: true, grid: { color: grid }, ticks: { color: text, precision: 0 } }
      }
    };
  }

  function doughnut(canvas, data) {
    var total = data.data.reduce(function (sum, n) { return sum + n; }, 0);
    var colors = data.keys.map(function (key) { return cssVar("--sev-" + key); });
    return new window.Chart(canvas, {
      type: "doughnut",
      data: {
        labels: data.labels,
        datasets: [{
          data: total ? data.data : [1],
          backgroundColor: total ? colors : [cssVar("--border")],
          borderColor: cssVar("--surface"),
          borderWidth: 2
        }]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, cutout: "68%",
        plugins: { legend: { display: false }, tooltip: { enabled: total > 0 } }
      }
    });
  }

  function stacked(canvas, data) {
    var options = baseOptions();
    options.scales.x.stacked = true;
    options.scales.y.stacked = true;
    options.plugins.legend = {
      display: true, position: "bottom",
      labels: { color: cssVar("--muted"), boxWidth: 10, boxHeight: 10, usePointStyle: true }
    };
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series) {
          return {
            label: series.label, data: series.data, backgroundColor: cssVar("--sev-" + series.key),
            borderRadius: 3, maxBarThickness: 28
          };
        })
      },
      options: options
    });
  }

  function bars(canvas, data) {
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: canvas.getAttribute("data-label") || "", data: data.data,
          backgroundColor: cssVar("--accent"), borderRadius: 3, maxBarThickness: 24
        }]
      },
      options: baseOptions()
    });
  }

  var FACTORIES = { doughnut: doughnut, stacked: stacked, bars: bars };

  function drawCharts() {
    if (!window.Chart) return;
    charts = charts.filter(function (chart) { return document.body.contains(chart.canvas); });
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var factory = FACTORIES[canvas.getAttribute("data-chart")];
      var data = readData(canvas);
      if (!factory || !data || window.Chart.getChart(canvas)) return;
      charts.push(factory(canvas, data));
    });
  }

  function redrawCharts() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    drawCharts();
  }

  /* ---- live feed ---------------------------------------------------------------------------- */
  function trimFeed(body) {
    var rows = body.querySelectorAll("tr.feed-row");
    for (var i = FEED_MAX_ROWS; i < rows.length; i++) rows[i].remove();
  }

  function setLive(isLive) {
    var status = document.getElementById("live-status");
    if (!status) return;
    status.classList.toggle("is-down", !isLive);
    status.setAttribute("data-connected", isLive ? "true" : "false");
    status.querySelector(".live-text").textContent =
      status.getAttribute(isLive ? "data-live" : "data-reconnecting");
  }

  /* ---- bulk selection ----------------------------------------------------------------------- */
  function syncSelection(form) {
    var boxes = form.querySelectorAll("input[name=ids]");
    var checked = form.querySelectorAll("input[name=ids]:checked").length;
    form.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = checked === 0;
    });
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  function onChange(event) {
    var target = event.target;
    var form = target.closest && target.closest("form#bulk");
    if (!form) return;
    if (target.hasAttribute("data-select-all")) {
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = target.checked; });
    }
    syncSelection(form);
  }

  function enhance() {
    drawCharts();
    var bulk = document.getElementById("bulk");
    if (bulk) syncSelection(bulk);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (button) button.addEventListener("click", toggleTheme);
    syncThemeButton();
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
      syncThemeButton();
      redrawCharts();
    });
    document.addEventListener("change", onChange);
    enhance();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id !== "feed-body") enhance();
  });
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.target && event.target.id === "feed-body") trimFeed(event.target);
  });
  document.addEventListener("htmx:sseOpen", function () { setLive(true); });
  document.addEventListener("htmx:sseError", function () { setLive(false); });
})();
