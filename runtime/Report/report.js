// report.js - the script of an `infrac sim --report` page.
//
// Draws each chart of the page's JSON island with uPlot (inlined before this
// script), every scenario event a numbered dashed line on every chart, and
// filters the event timeline. When done it sets <body data-ready="charts">
// and leaves the charts in window.infracReport (the browser tests read both).
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf',
                   '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
  const markColour = '#b03a2e';
  // Series drawn as steps: counts that change at an instant.
  const stepped = new Set(['healthy', 'capacity', 'emr', 'leader', 'sessions']);

  function seconds(v) {
    return v == null ? '' : (Math.round(v * 1000) / 1000) + 's';
  }

  // The scenario's events: a dashed line and its number on the plot.
  function marksPlugin(marks) {
    return {
      hooks: {
        draw: [u => {
          const ctx = u.ctx, dpr = window.devicePixelRatio || 1;
          const { top, height } = u.bbox;
          ctx.save();
          ctx.strokeStyle = markColour;
          ctx.fillStyle = markColour;
          ctx.lineWidth = dpr;
          ctx.setLineDash([4 * dpr, 3 * dpr]);
          ctx.font = `bold ${11 * dpr}px sans-serif`;
          ctx.textAlign = 'center';
          ctx.textBaseline = 'bottom';
          marks.forEach((m, i) => {
            const x = Math.round(u.valToPos(m.t, 'x', true));
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillText(String(i + 1), x, top - 2 * dpr);
          });
          ctx.restore();
        }],
      },
    };
  }

  function chartOptions(c, width) {
    const scale = c.id === 'latency' ? 1 / 1000 : 1; // Microseconds to ms.
    const names = c.categories;
    const show = v => v == null ? '\u2014' : names ? names[v] : String(v);
    const series = [{ label: 'time', value: (u, v) => seconds(v) }];
    c.lines.forEach(l => series.push({
      label: l.label,
      stroke: palette[l.colour % palette.length],
      width: 2,
      dash: l.dashed ? [6, 4] : undefined,
      paths: stepped.has(c.id) ? uPlot.paths.stepped({ align: 1 }) : undefined,
      points: { show: false },
      value: (u, v) => show(v),
    }));
    // One width for every y axis, so that the time axes line up.
    const yAxis = { label: c.unit, size: 90 };
    let yRange = (u, min, max) => [0, Math.max(1, Math.ceil(max * 1.1))];
    if (names) {
      yAxis.splits = () => names.map((_, i) => i);
      yAxis.values = (u, splits) => splits.map(i => names[i] ?? '');
      yRange = () => [-0.5, names.length - 0.5];
    }
    return {
      scale,
      opts: {
        width,
        height: 220,
        padding: [18, 12, 0, 0],
        series,
        scales: { x: { time: false }, y: { range: yRange } },
        axes: [{ values: (u, splits) => splits.map(seconds) }, yAxis],
        plugins: [marksPlugin(data.marks)],
      },
    };
  }

  const list = document.getElementById('chart-list');
  const charts = [];
  for (const c of data.charts) {
    const fig = document.createElement('figure');
    fig.className = 'chart';
    fig.id = 'chart-' + c.id;
    const caption = document.createElement('figcaption');
    caption.textContent = c.title;
    fig.append(caption);
    list.append(fig);
    const { scale, opts } = chartOptions(c, list.clientWidth);
    const columns = [data.t].concat(
        c.lines.map(l => l.values.map(v => v == null ? null : v * scale)));
    charts.push(new uPlot(opts, columns, fig));
  }
  window.addEventListener('resize', () => {
    for (const u of charts)
      u.setSize({ width: list.clientWidth, height: 220 });
  });

  // The timeline: a text (or time) filter and a source.
  const filter = document.getElementById('filter');
  const source = document.getElementById('source');
  const shown = document.getElementById('shown');
  const rows = Array.from(document.querySelectorAll('#timeline tbody tr'));
  function apply() {
    const q = filter.value.trim().toLowerCase();
    const who = source.value;
    let n = 0;
    for (const r of rows) {
      const ok = (!who || r.cells[1].textContent === who) &&
                 (!q || r.textContent.toLowerCase().includes(q));
      r.hidden = !ok;
      n += ok;
    }
    shown.textContent = `${n} of ${rows.length} events`;
  }
  filter.addEventListener('input', apply);
  source.addEventListener('change', apply);
  // A scenario event in the list shows what happened at its instant.
  for (const li of document.querySelectorAll('ol.marks li')) {
    li.addEventListener('click', () => {
      filter.value = li.querySelector('.at').textContent;
      source.value = '';
      apply();
      document.getElementById('timeline').scrollIntoView();
    });
  }

  window.infracReport = { charts, marks: data.marks.length };
  document.body.dataset.ready = 'charts';
})();
