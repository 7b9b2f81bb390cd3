/* loghealth dashboard behaviour: theme toggle, charts (Chart.js), live feed upkeep, live overview
   panels, bulk selection.
   Pages work without it (forms and links); this only enhances them. No inline scripts (CSP). */
(function () {
  "use strict";

  var THEME_KEY = "loghealth-theme";
  var FEED_MAX_ROWS = 50;
  var PANELS_GAP_MS = 2000;
  var PANELS_SETTLE_MS = 250;
  var charts = [];
  var panelsTimer = null;
  var panelsRequestedAt = 0;

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

  /* Each kind: create(canvas, data) draws a new chart; update(chart, data) puts new data into a
     drawn one (then `chart.update("none")`: no animation, no flicker, the canvas stays). */
  function doughnutValues(data) {
    var total = data.data.reduce(function (sum, n) { return sum + n; }, 0);
    return {
      total: total,
      data: total ? data.data : [1],
      colors: total ? data.keys.map(function (key) { return cssVar("--sev-" + key); }) : [cssVar("--border")]
    };
  }

  function doughnut(canvas, data) {
    var values = doughnutValues(data);
    return new window.Chart(canvas, {
      type: "doughnut",
      data: {
        labels: data.labels,
        datasets: [{
          data: values.data,
          backgroundColor: values.colors,
          borderColor: cssVar("--surface"),
          borderWidth: 2
        }]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, cutout: "68%",
        plugins: { legend: { display: false }, tooltip: { enabled: values.total > 0 } }
      }
    });
  }

  function updateDoughnut(chart, data) {
    var values = doughnutValues(data);
    chart.data.labels = data.labels;
    chart.data.datasets[0].data = values.data;
    chart.data.datasets[0].backgroundColor = values.colors;
    chart.options.plugins.tooltip.enabled = values.total > 0;
  }

  function stackedDataset(series) {
    return {
      label: series.label, data: series.data, backgroundColor: cssVar("--sev-" + series.key),
      borderRadius: 3, maxBarThickness: 28
    };
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
      data: { labels: data.labels, datasets: data.series.map(stackedDataset) },
      options: options
    });
  }

  function updateStacked(chart, data) {
    chart.data.labels = data.labels;
    data.series.forEach(function (series, i) {
      var dataset = chart.data.datasets[i];
      if (!dataset) {
        chart.data.datasets.push(stackedDataset(series));
        return;
      }
      dataset.label = series.label;
      dataset.data = series.data;
    });
    chart.data.datasets.length = data.series.length;
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

  function updateBars(chart, data) {
    chart.data.labels = data.labels;
    chart.data.datasets[0].data = data.data;
  }

  var KINDS = {
    doughnut: { create: doughnut, update: updateDoughnut },
    stacked: { create: stacked, update: updateStacked },
    bars: { create: bars, update: updateBars }
  };

  /* Draws charts for new canvases and updates drawn ones whose JSON changed (after an htmx swap
     of the `data-source` element); a canvas swapped out takes its chart with it. */
  function drawCharts() {
    if (!window.Chart) return;
    charts = charts.filter(function (chart) {
      if (document.body.contains(chart.canvas)) return true;
      chart.destroy();
      return false;
    });
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = KINDS[canvas.getAttribute("data-chart")];
      var source = document.getElementById(canvas.getAttribute("data-source"));
      if (!kind || !source) return;
      var text = source.textContent;
      var chart = window.Chart.getChart(canvas);
      if (!chart) {
        chart = kind.create(canvas, JSON.parse(text));
        charts.push(chart);
      } else if (chart.lhSource !== text) {
        kind.update(chart, JSON.parse(text));
        chart.update("none");
      }
      chart.lhSource = text;
    });
  }

  function redrawCharts() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    drawCharts();
  }

  /* ---- overview panels: refreshed after finding events, at most once per PANELS_GAP_MS ------- */
  function schedulePanels() {
    var panels = document.getElementById("overview-panels");
    if (!panels || !window.htmx || panelsTimer !== null) return;
    // wait a little, so that one batch of events (one store commit) costs one request
    var wait = Math.max(PANELS_SETTLE_MS, panelsRequestedAt + PANELS_GAP_MS - Date.now());
    panelsTimer = window.setTimeout(function () {
      panelsTimer = null;
      window.htmx.trigger(panels, "panels-refresh");
    }, wait);
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
    if (!event.target || event.target.id !== "feed-body") return;
    trimFeed(event.target);
    schedulePanels();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target && event.target.id === "overview-panels") panelsRequestedAt = Date.now();
  });
  document.addEventListener("htmx:sseOpen", function () {
    var status = document.getElementById("live-status");
    var wasDown = status && status.getAttribute("data-connected") === "false";
    setLive(true);
    if (wasDown) schedulePanels();  // events may have been missed while reconnecting
  });
  document.addEventListener("htmx:sseError", function () { setLive(false); });

  // Leaving the page cuts off requests still running (a panels refresh, the live feed). Abort
  // them first, so htmx reports a silent `sendAbort` instead of logging a `sendError`.
  var inflight = new Set();
  var streams = new Set();
  document.addEventListener("htmx:beforeSend", function (event) { inflight.add(event.detail.xhr); });
  document.addEventListener("htmx:afterRequest", function (event) { inflight.delete(event.detail.xhr); });
  document.addEventListener("htmx:sseOpen", function (event) {
    if (event.detail && event.detail.source) streams.add(event.detail.source);
  });
  var closedStreams = false;
  function leaving() {
    inflight.forEach(function (xhr) { xhr.abort(); });
    inflight.clear();
    streams.forEach(function (source) { source.close(); closedStreams = true; });
    streams.clear();
  }
  window.addEventListener("beforeunload", leaving);
  window.addEventListener("pagehide", leaving);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && closedStreams) window.location.reload();  // back from the bfcache
  });
})();
