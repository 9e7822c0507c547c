// Checks Mermaid diagrams with the real Mermaid parser (npm `mermaid`, run
// under jsdom because Mermaid expects a browser's DOM).
//
//   node check-mermaid.mjs FILE...
//
// Prints `FILE: ok (flowchart-v2)` or `FILE: error: ...` for each file and
// exits 1 if any file is rejected, 2 if the tools cannot start.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check-mermaid.mjs FILE...');
  process.exit(2);
}

// Mermaid (and DOMPurify inside it) look for a window and a document.
const { window } = new JSDOM('<!doctype html><html><body></body></html>');
for (const name of ['window', 'document', 'DOMParser', 'Element', 'HTMLElement', 'Node'])
  if (!(name in globalThis))
    Object.defineProperty(globalThis, name, { value: window[name] ?? window, configurable: true });

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let failed = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    console.log(`${file}: error: cannot read: ${e.message}`);
    failed++;
    continue;
  }
  try {
    const result = await mermaid.parse(text);
    console.log(`${file}: ok (${result.diagramType})`);
  } catch (e) {
    const message = String(e?.message ?? e).replace(/\s+$/, '');
    console.log(`${file}: error: ${message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
