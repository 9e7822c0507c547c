// check-reports.mjs - every `infrac sim --report` page in a real browser.
//
//   node check-reports.mjs CHROMIUM OUTDIR PAGE.html...
//
// Each PAGE.html sits beside PAGE.jsonl, the --trace of the same run: what
// the page must show is read from there, not from the page. In Debian's
// Chromium, driven by puppeteer-core over a pipe (the browser exits when
// this process does), each page must load from file:// with no request
// beyond itself and no console error; every chart of its data must be drawn
// (a canvas with ink on it, over every sample); its verdicts must be the
// trace's, each with the instant it was decided; its scenario events must
// be listed and marked; its timeline must hold every note and filter by
// source. A screenshot of each goes to OUTDIR/PAGE.png. The whole run is
// bounded: past the deadline the browser is killed and the test fails.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const [chromium, outDir, ...pages] = process.argv.slice(2);
if (!chromium || !outDir || pages.length === 0) {
  console.error('usage: node check-reports.mjs CHROMIUM OUTDIR PAGE.html...');
  process.exit(2);
}

let browser = null;
const deadline = setTimeout(() => {
  console.error(`check-reports: not done after 150 s; stopping the browser`);
  browser?.process()?.kill('SIGKILL');
  process.exit(1);
}, 150_000);

/// What the trace says the page must show.
function expected(tracePath) {
  const want = { verdicts: [], notes: 0, scenarioNotes: 0, marks: new Set() };
  for (const line of readFileSync(tracePath, 'utf8').split('\n')) {
    if (!line.includes('"ev":"note"') && !line.includes('"ev":"verdict"'))
      continue;
    const r = JSON.parse(line);
    if (r.ev === 'verdict') {
      want.verdicts.push({ tag: { pass: 'PASS', fail: 'FAIL' }[r.result] ?? 'SKIP',
                           expect: r.expect });
    } else {
      ++want.notes;
      if (r.who === 'scenario') {
        ++want.scenarioNotes;
        want.marks.add(r.t);
      }
    }
  }
  return want;
}

async function check(page, htmlPath) {
  const problems = [];
  const url = pathToFileURL(resolve(htmlPath)).href;
  const tab = await browser.newPage();
  await tab.setViewport({ width: 1280, height: 900 });
  await tab.setRequestInterception(true);
  tab.on('request', r => {
    if (r.url() === url) {
      r.continue();
    } else {
      problems.push(`requested ${r.url()}`);
      r.abort();
    }
  });
  tab.on('console', m => {
    if (m.type() === 'error' || m.type() === 'warn')
      problems.push(`console ${m.type()}: ${m.text()}`);
  });
  tab.on('pageerror', e => problems.push(`page error: ${e.message}`));

  await tab.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await tab.waitForFunction(() => document.body.dataset.ready === 'charts', { timeout: 30_000 })
      .catch(() => problems.push('the charts were never drawn (no data-ready)'));

  const want = expected(htmlPath.replace(/\.html$/, '.jsonl'));
  const seen = await tab.evaluate(() => {
    const data = JSON.parse(document.getElementById('report-data').textContent);
    const charts = data.charts.map(c => {
      const fig = document.getElementById('chart-' + c.id);
      const canvas = fig?.querySelector('canvas');
      let ink = 0;
      if (canvas && canvas.width > 0 && canvas.height > 0) {
        const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < px.length; i += 4)
          ink += px[i] > 0;
      }
      const u = window.infracReport?.charts.find(x => x.root.parentElement === fig);
      return { id: c.id, lines: c.lines.length, canvas: !!canvas, ink,
               points: u ? u.data[0].length : -1, series: u ? u.series.length - 1 : -1 };
    });
    const verdicts = Array.from(document.querySelectorAll('tr.verdict'), r => ({
      tag: r.cells[0].textContent, expect: r.cells[1].textContent,
      decided: r.cells[2].textContent }));
    return { charts, samples: data.t.length, marks: data.marks.length,
             listed: document.querySelectorAll('ol.marks li').length,
             drawnMarks: window.infracReport?.marks ?? -1, verdicts,
             rows: document.querySelectorAll('#timeline tbody tr').length,
             diagram: !!document.querySelector('#diagram svg') };
  });

  if (seen.charts.length === 0)
    problems.push('no chart');
  if (seen.samples < 2)
    problems.push(`only ${seen.samples} samples`);
  for (const c of seen.charts) {
    if (!c.canvas || c.ink < 200)
      problems.push(`chart ${c.id}: nothing drawn (${c.ink} pixels of ink)`);
    if (c.points !== seen.samples || c.series !== c.lines)
      problems.push(`chart ${c.id}: ${c.points} points of ${c.series} lines drawn, ` +
                    `${seen.samples} of ${c.lines} in the data`);
  }
  if (!seen.diagram)
    problems.push('no diagram');
  if (seen.marks !== want.marks.size || seen.listed !== want.marks.size ||
      seen.drawnMarks !== want.marks.size)
    problems.push(`${want.marks.size} scenario events in the trace; ${seen.marks} in the data, ` +
                  `${seen.listed} listed, ${seen.drawnMarks} marked`);
  if (JSON.stringify(seen.verdicts.map(({ tag, expect }) => ({ tag, expect }))) !==
      JSON.stringify(want.verdicts))
    problems.push(`verdicts shown ${JSON.stringify(seen.verdicts)}, ` +
                  `in the trace ${JSON.stringify(want.verdicts)}`);
  for (const v of seen.verdicts)
    if (!/^\d+\.\d{3}s$/.test(v.decided))
      problems.push(`verdict '${v.expect}' has no instant it was decided ('${v.decided}')`);
  if (seen.rows !== want.notes)
    problems.push(`${seen.rows} timeline rows for ${want.notes} notes in the trace`);

  // The timeline's filter: only the scenario's own events.
  await tab.select('#source', 'scenario');
  const visible = await tab.$$eval('#timeline tbody tr', rs => rs.filter(r => !r.hidden).length);
  if (visible !== want.scenarioNotes)
    problems.push(`filtered to the scenario: ${visible} rows shown for ${want.scenarioNotes}`);
  await tab.select('#source', '');

  // The page as a person sees it: the summary, verdicts, diagram and charts
  // (the timeline's start; all of it would be thousands of pixels of rows).
  const bottom = await tab.$eval('#timeline', e => e.offsetTop + 600);
  const height = await tab.evaluate(() => document.documentElement.scrollHeight);
  const shot = `${outDir}/${basename(htmlPath, '.html')}.png`;
  await tab.screenshot({ path: shot, clip: { x: 0, y: 0, width: 1280,
                                             height: Math.min(bottom, height) } });
  await tab.close();
  return { problems, summary: `${seen.charts.length} charts, ${seen.verdicts.length} verdicts, ` +
                              `${seen.marks} events marked, ${seen.rows} timeline rows` };
}

let failed = 0;
try {
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
           '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--disable-extensions', '--mute-audio'],
  });
  for (const page of pages) {
    const { problems, summary } = await check(browser, page);
    if (problems.length) {
      ++failed;
      console.log(`FAIL  ${basename(page)}`);
      for (const p of problems)
        console.log(`      ${p}`);
    } else {
      console.log(`ok    ${basename(page)}: ${summary}`);
    }
  }
} catch (e) {
  ++failed;
  console.log(`FAIL  ${e.stack ?? e}`);
} finally {
  await browser?.close().catch(() => browser.process()?.kill('SIGKILL'));
  clearTimeout(deadline);
}
console.log(`${pages.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
