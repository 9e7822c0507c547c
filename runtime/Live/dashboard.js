// dashboard.js - infrac run's live dashboard (served at / by the admin API).
//
// The admin API is the one source of truth: the page reads GET /v1/status
// when an event arrives on the GET /v1/events stream (Server-Sent Events;
// at most four reads a second however busy the log) and once a second for
// the charts; the buttons POST /v1/actions, as `infrac ctl` does.
'use strict';

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
};
const us = (v) => v < 1000 ? `${v}us` : v < 1e6 ? `${(v / 1e3).toFixed(1)}ms` : `${(v / 1e6).toFixed(2)}s`;

async function act(body) {
  const r = await fetch('/v1/actions', { method: 'POST', body: JSON.stringify(body) });
  const text = await r.text();
  $('#said').textContent = r.ok ? `${body.action} ${body.target}: done`
                                : `${body.action} ${body.target}: ${JSON.parse(text).error}`;
}

function actions(id) {
  const b = (label, body) => el('button', { class: 'act', 'data-action': body.action,
                                            'data-target': id, onclick: () => act(body) }, label);
  return el('span', {}, b('kill', { action: 'kill', target: id }),
            b('stop', { action: 'stop', target: id }),
            b('slow', { action: 'slow', target: id, latency_ms: 1000 }),
            b('fail health', { action: 'fail_health', target: id }),
            b('restore', { action: 'restore_health', target: id }),
            b('interrupt', { action: 'interrupt', target: id }));
}

function table(head, rows) {
  return el('table', {}, el('tr', {}, ...head.map(h => el('th', {}, h))),
            ...rows.map(r => el('tr', r.attrs ?? {}, ...r.cells.map(c => el('td', {}, c)))));
}

// Series for the charts, one point a second.
const series = { t: [], rps: [], errors: [], p99: [], healthy: {}, capacity: {} };
let lastRequests = null, lastTime = null, charts = null;

function chart(id, title, names) {
  const opts = { title, width: 420, height: 160, scales: { x: { time: false } },
                 series: [{ label: 's' }, ...names.map((n, i) => ({ label: n, stroke: COLOURS[i % COLOURS.length] }))] };
  return new uPlot(opts, [[], ...names.map(() => [])], $(id));
}
const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989'];

function sample(st) {
  const t = st.time_us / 1e6;
  const requests = st.load_balancers.reduce((a, b) => a + b.requests, 0);
  const errors = st.load_balancers.reduce((a, b) => a + b.errors_5xx, 0);
  const rps = lastTime !== null && t > lastTime ? (requests - lastRequests) / (t - lastTime) : 0;
  lastRequests = requests; lastTime = t;
  series.t.push(t); series.rps.push(rps); series.errors.push(errors);
  series.p99.push(Math.max(0, ...st.load_balancers.map(b => b.p99_us)) / 1e3);
  for (const g of st.target_groups) {
    (series.healthy[g.name] ??= []).push(g.targets.filter(x => x.state === 'healthy').length);
  }
  for (const g of st.groups) (series.capacity[g.name] ??= []).push(g.in_service);
  if (series.t.length > 600) for (const s of [series.t, series.rps, series.errors, series.p99,
                                              ...Object.values(series.healthy),
                                              ...Object.values(series.capacity)]) s.shift();
  if (!charts) {
    charts = {
      traffic: chart('#c-traffic', 'requests/s (all load balancers)', ['req/s']),
      errors: chart('#c-errors', '5xx so far', ['5xx']),
      p99: chart('#c-p99', 'p99 latency (ms)', ['p99']),
      healthy: chart('#c-healthy', 'healthy targets', Object.keys(series.healthy)),
      capacity: chart('#c-capacity', 'in service', Object.keys(series.capacity)),
    };
  }
  charts.traffic.setData([series.t, series.rps]);
  charts.errors.setData([series.t, series.errors]);
  charts.p99.setData([series.t, series.p99]);
  charts.healthy.setData([series.t, ...Object.values(series.healthy)]);
  charts.capacity.setData([series.t, ...Object.values(series.capacity)]);
}

function render(st) {
  $('#clock').textContent = `${(st.time_us / 1e6).toFixed(1)}s`;
  $('#lbs').replaceChildren(table(['load balancer', 'requests', '5xx', 'p50', 'p99', 'listeners'],
    st.load_balancers.map(b => ({ cells: [b.name, String(b.requests), String(b.errors_5xx),
                                          us(b.p50_us), us(b.p99_us),
                                          b.listeners.map(l => l.url).join(' ')] }))));
  $('#tgs').replaceChildren(...st.target_groups.map(g => el('div', { class: 'tg' },
    el('h3', {}, g.name),
    table(['target', 'state', 'reason', 'requests', 'in flight', ''],
      g.targets.filter(x => x.state !== 'unused').map(x => ({
        attrs: { class: `state-${x.state}`, 'data-target': x.id, 'data-state': x.state },
        cells: [x.id, x.state, x.reason, String(x.requests), String(x.in_flight), actions(x.id)] }))))));
  $('#groups').replaceChildren(table(['group', 'min', 'desired', 'max', 'in service', 'instances', ''],
    st.groups.map(g => ({ cells: [g.name, String(g.min), String(g.desired), String(g.max),
      String(g.in_service),
      g.instances.filter(i => i.lifecycle !== 'Terminated').map(i => `${i.id} (${i.lifecycle})`).join(' '),
      el('span', {},
         el('button', { class: 'act', 'data-action': 'scale-up', 'data-target': g.name,
                        onclick: () => act({ action: 'scale', target: g.name, desired: g.desired + 1 }) }, 'scale +1'),
         el('button', { class: 'act', 'data-action': 'scale-down', 'data-target': g.name,
                        onclick: () => act({ action: 'scale', target: g.name, desired: Math.max(g.min, g.desired - 1) }) }, 'scale -1'))] }))));
  const coord = st.coordination ?? [];
  $('#coord').replaceChildren(...coord.map(c => el('div', {}, el('h3', {}, `${c.name} (${c.servers.join(', ')})`),
    table(['election', 'path', 'leader', 'changes', 'members'],
      c.elections.map(e => ({ cells: [e.name, e.path, e.leader ?? 'none', String(e.leader_changes),
                                      e.members.join(' ')] }))))));
  // The diagram: the instances' boxes take their health (Graphviz titles
  // name the nodes).
  const worst = {};
  for (const g of st.target_groups)
    for (const x of g.targets) if (x.state !== 'unused') worst[g.name] = worst[g.name] === 'unhealthy' ? 'unhealthy' : x.state;
  for (const node of document.querySelectorAll('#diagram g.node')) {
    const title = node.querySelector('title')?.textContent ?? '';
    for (const [name, state] of Object.entries(worst))
      if (title.includes(name)) node.setAttribute('data-state', state);
  }
}

let pending = null;
async function refresh() {
  pending = null;
  const r = await fetch('/v1/status');
  const st = await r.json();
  render(st);
  return st;
}
function soon() { pending ??= setTimeout(refresh, 250); }

function logEvent(e) {
  const log = $('#log');
  log.append(el('div', { class: `ev who-${e.who}` }, `${e.time.padStart(10)}  ${e.who.padEnd(10)}  ${e.text}`));
  while (log.childElementCount > 500) log.firstChild.remove();
  log.scrollTop = log.scrollHeight;
}

window.addEventListener('load', async () => {
  const events = new EventSource('/v1/events?follow=1');
  events.onmessage = (m) => { logEvent(JSON.parse(m.data)); soon(); };
  sample(await refresh());
  setInterval(async () => sample(await refresh()), 1000);
});
