// The outcome dashboard's charts, drawn with the vendored uPlot from the figures the page
// already shows in its tables (embedded once as JSON). Without JavaScript the tables and the
// CSV downloads are the dashboard.
(function () {
  function draw() {
    var el = document.getElementById('dashboard-data');
    if (!el || typeof uPlot === 'undefined') return;
    var d = JSON.parse(el.textContent);
    var xs = d.groups.map(function (_, i) { return i; });
    function axisX() {
      return { values: function (u, ticks) { return ticks.map(function (t) { return d.groups[t] || ''; }); },
               space: 30, rotate: 0, size: 40 };
    }
    function chart(id, series, data, yfmt) {
      var box = document.getElementById(id);
      if (!box) return;
      box.hidden = false;
      var width = Math.max(280, Math.min(box.parentNode.clientWidth || 600, 900));
      var opts = {
        width: width, height: 220,
        scales: { x: { time: false, range: [-0.5, Math.max(xs.length - 0.5, 0.5)] } },
        axes: [axisX(), { values: function (u, t) { return t.map(yfmt); }, size: 56 }],
        series: [{ label: d.labels.group, value: function (u, i) { return i == null ? '' : (d.groups[i] || ''); } }].concat(series),
        legend: { show: true }
      };
      new uPlot(opts, [xs].concat(data), box);
    }
    // Two bars per group, side by side: placements left of the tick, households right of it.
    var barsAt = function (align) {
      return uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.35, 40], align: align }) : null;
    };
    chart('chart-placements', [
      { label: d.labels.placed, stroke: '#0b57a4', fill: 'rgba(11,87,164,.6)', paths: barsAt(-1), points: { show: false } },
      { label: d.labels.households, stroke: '#1e6b34', fill: 'rgba(30,107,52,.5)', paths: barsAt(1), points: { show: false } }
    ], [d.placed, d.households], function (v) { return v; });
    var pct = function (v) { return v == null ? '' : Math.round(v * 100) + '%'; };
    chart('chart-retention', [
      { label: d.labels.r1, stroke: '#0b57a4', width: 2 },
      { label: d.labels.r3, stroke: '#1e6b34', width: 2 },
      { label: d.labels.r6, stroke: '#f0a500', width: 2 },
      { label: d.labels.r12, stroke: '#b00020', width: 2 }
    ], [d.r1, d.r3, d.r6, d.r12], pct);
    chart('chart-wages', [
      { label: d.labels.p25, stroke: '#7aa6d6', width: 1, dash: [4, 4] },
      { label: d.labels.median, stroke: '#0b57a4', width: 3 },
      { label: d.labels.p75, stroke: '#7aa6d6', width: 1, dash: [4, 4] }
    ], [d.p25, d.median, d.p75], function (v) { return v; });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
