// check-dashboard.mjs - infrac run's live dashboard in a real browser.
//
//   node check-dashboard.mjs CHROMIUM INFRAC DESIGN OUTDIR
//
// Brings DESIGN up with `infrac run --time-scale 20` (its own process group,
// stopped at the end whatever happens), opens the admin API's / in Debian's
// Chromium through puppeteer-core and checks, against GET /v1/status: the
// page loads nothing but the admin API and logs no error; it lists every
// target of every target group with its state; a target killed with
// `infrac ctl kill` leaves the healthy ones on the page within the
// detection window; a click on a target's "fail health" button makes that
// target unhealthy (after the group's unhealthy threshold); the event log
// shows both. Screenshots: OUTDIR/dashboard-*.png. Bounded in time.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const [chromium, infrac, design, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node check-dashboard.mjs CHROMIUM INFRAC DESIGN OUTDIR');
  process.exit(2);
}
const ready = join(mkdtempSync(join(tmpdir(), 'infrac-dash-')), 'ready.json');
const run = spawn(infrac, ['run', design, '--time-scale', '20', '--ready-file', ready, '--plain'],
                  { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
run.stdout.on('data', d => { log += d; });
run.stderr.on('data', d => { log += d; });
let browser = null;
const stopAll = () => {
  browser?.process()?.kill('SIGKILL');
  try { process.kill(-run.pid, 'SIGTERM'); } catch {}
};
const deadline = setTimeout(() => {
  console.error('check-dashboard: not done after 120 s');
  stopAll();
  process.exit(1);
}, 120_000);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };

async function until(what, test, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await test();
    if (v) return v;
    await sleep(100);
  }
  problems.push(`${what}: not within ${ms / 1000} s`);
  return null;
}

try {
  await until('infrac run is ready', async () => existsSync(ready), 40_000);
  if (!existsSync(ready)) throw new Error('infrac run did not get ready:\n' + log);
  const admin = JSON.parse(readFileSync(ready, 'utf8')).admin;
  const status = async () => (await fetch(admin + '/v1/status')).json();
  const live = g => g.targets.filter(t => t.state !== 'unused');

  browser = await puppeteer.launch({
    executablePath: chromium, headless: true, pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-extensions', '--mute-audio'],
  });
  const tab = await browser.newPage();
  await tab.setViewport({ width: 1400, height: 1000 });
  await tab.setRequestInterception(true);
  tab.on('request', r => {
    if (!r.url().startsWith(admin + '/')) {
      problems.push(`a request beyond the admin API: ${r.url()}`);
      r.abort();
    } else {
      r.continue();
    }
  });
  tab.on('console', m => {
    if (m.type() === 'error' || m.type() === 'warn' || m.type() === 'warning')
      problems.push(`console ${m.type()}: ${m.text()}`);
  });
  tab.on('pageerror', e => problems.push(`page error: ${e}`));
  await tab.goto(admin + '/', { waitUntil: 'load' });

  // Every target group's targets, as the status has them.
  const rows = () => tab.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll('#tgs .tg')].map(g => [g.querySelector('h3').textContent,
      [...g.querySelectorAll('tr[data-target]')].map(r => [r.dataset.target, r.dataset.state])])));
  const st = await status();
  await until('the page lists every target', async () => {
    const shown = await rows();
    return st.target_groups.every(g => JSON.stringify(shown[g.name]?.map(r => r[0]).sort()) ===
                                       JSON.stringify(live(g).map(t => t.id).sort()));
  });
  await tab.screenshot({ path: join(outDir, 'dashboard-up.png') });

  // infrac ctl kill: the killed target leaves the page's healthy ones.
  const tg = st.target_groups[0];
  const [victim, other] = live(tg).map(t => t.id);
  execFileSync(infrac, ['ctl', '--admin', admin, 'kill', victim], { timeout: 10_000 });
  await until(`${victim} is no longer shown healthy in ${tg.name}`, async () => {
    const mine = (await rows())[tg.name] ?? [];
    return !mine.some(([id, state]) => id === victim && state === 'healthy');
  }, 10_000);

  // A click on "fail health": the target turns unhealthy after the threshold.
  await tab.click(`#tgs tr[data-target="${other}"] button[data-action="fail_health"]`);
  await until(`${other} turns unhealthy after the click`, async () => {
    const s = await status();
    const t = s.target_groups.find(g => g.name === tg.name).targets.find(x => x.id === other);
    const mine = (await rows())[tg.name] ?? [];
    return t && t.state !== 'healthy' &&
           mine.some(([id, state]) => id === other && state !== 'healthy');
  }, 20_000);
  const said = await tab.evaluate(() => document.querySelector('#said').textContent);
  check(said === `fail_health ${other}: done`, `the page said '${said}' after the click`);
  const events = await tab.evaluate(() => document.querySelector('#log').textContent);
  check(events.includes(`${victim} killed`), 'the event log lacks the kill');
  check(events.includes(`${other} now answers health checks with 500`),
        'the event log lacks the failed health');
  await tab.screenshot({ path: join(outDir, 'dashboard-after.png') });
} catch (e) {
  problems.push(String(e?.stack ?? e));
} finally {
  clearTimeout(deadline);
  await browser?.close().catch(() => {});
  stopAll();
}
if (problems.length) {
  console.error('check-dashboard:\n  ' + problems.join('\n  ') + '\n--- infrac run:\n' +
                log.slice(-3000));
  process.exit(1);
}
console.log('check-dashboard: ok');
