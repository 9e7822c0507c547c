// Drives `infrac lsp` through vscode-languageserver-protocol (the protocol
// library of VS Code's own language client) over stdio: initialize, open a
// file with an error, change it, hover, completion, definition, rename,
// formatting, shutdown, exit. Every answer is checked; exit 1 on the first
// mismatch. Usage: node session.js INFRAC_BINARY
'use strict';
const assert = require('assert');
const cp = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const rpc = require('vscode-jsonrpc/node');
const lsp = require('vscode-languageserver-protocol');

const bin = process.argv[2];
if (!bin) {
  console.error('usage: node session.js INFRAC_BINARY');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infrac-lsp-'));
const file = path.join(dir, 'main.infra');
const uri = 'file://' + file;
const bad = 'vpc main { cidr = "10.0.0.0/16" }\nsubnet a { vpc = mian; cidr = "10.0.1.0/24"; zone = "z" }\n';
const good = 'vpc   main {cidr="10.0.0.0/16"}\nsubnet a { vpc = main; cidr = "10.0.1.0/24"; zone = "z" }\n';
fs.writeFileSync(file, bad);

const server = cp.spawn(bin, ['lsp'], { stdio: ['pipe', 'pipe', 'inherit'] });
const timer = setTimeout(() => {
  console.error('FAIL: the session took more than 30 s');
  server.kill('SIGKILL');
  process.exit(1);
}, 30000);
const conn = rpc.createMessageConnection(new rpc.StreamMessageReader(server.stdout),
                                         new rpc.StreamMessageWriter(server.stdin));
const published = [];
let waiting = null;
conn.onNotification(lsp.PublishDiagnosticsNotification.type, (p) => {
  published.push(p);
  if (waiting) waiting();
});
conn.listen();

function nextDiagnostics() {
  const have = published.length;
  return new Promise((resolve) => {
    const check = () => { if (published.length > have) { waiting = null; resolve(published[published.length - 1]); } };
    waiting = check;
    check();
  });
}

async function main() {
  const init = await conn.sendRequest(lsp.InitializeRequest.type, {
    processId: process.pid, rootUri: 'file://' + dir, capabilities: {}, workspaceFolders: null,
  });
  assert.strictEqual(init.serverInfo.name, 'infrac');
  assert.ok(init.capabilities.hoverProvider && init.capabilities.renameProvider);
  assert.strictEqual(init.capabilities.textDocumentSync.change, lsp.TextDocumentSyncKind.Full);
  conn.sendNotification(lsp.InitializedNotification.type, {});

  // Open: the error `infrac check` reports, same id and range.
  let d = nextDiagnostics();
  conn.sendNotification(lsp.DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'infra', version: 1, text: bad },
  });
  let diags = await d;
  assert.strictEqual(diags.uri, uri);
  assert.strictEqual(diags.diagnostics.length, 1, JSON.stringify(diags));
  assert.strictEqual(diags.diagnostics[0].code, 'REF001');
  assert.deepStrictEqual(diags.diagnostics[0].range, { start: { line: 1, character: 17 }, end: { line: 1, character: 21 } });

  // Change: fixed, the error goes.
  d = nextDiagnostics();
  conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 }, contentChanges: [{ text: good }],
  });
  diags = await d;
  assert.strictEqual(diags.diagnostics.length, 0, JSON.stringify(diags));

  // A burst of changes, sent without waiting: whatever the server checks or
  // skips as superseded, the diagnostics come in version order and the last
  // ones are the last version's.
  const before = published.length;
  for (let v = 3; v <= 7; v++)
    conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: v }, contentChanges: [{ text: v < 7 ? bad : good }],
    });
  while (!published.slice(before).some((p) => p.version === 7)) await nextDiagnostics();
  const versions = published.slice(before).map((p) => p.version);
  assert.deepStrictEqual(versions, [...versions].sort((a, b) => a - b), versions.join(' '));
  assert.strictEqual(published[published.length - 1].diagnostics.length, 0);

  const hover = await conn.sendRequest(lsp.HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 18 } });
  assert.ok(hover && /vpc/i.test(hover.contents.value), JSON.stringify(hover));

  const completion = await conn.sendRequest(lsp.CompletionRequest.type, { textDocument: { uri }, position: { line: 2, character: 0 } });
  const labels = (Array.isArray(completion) ? completion : completion.items).map((i) => i.label);
  assert.ok(labels.includes('load_balancer') && labels.includes('subnet'), labels.join(' '));

  const def = await conn.sendRequest(lsp.DefinitionRequest.type, { textDocument: { uri }, position: { line: 1, character: 18 } });
  assert.deepStrictEqual(def, { uri, range: { start: { line: 0, character: 6 }, end: { line: 0, character: 10 } } });

  const rename = await conn.sendRequest(lsp.RenameRequest.type, { textDocument: { uri }, position: { line: 0, character: 7 }, newName: 'core' });
  assert.strictEqual(rename.changes[uri].length, 2, JSON.stringify(rename));
  assert.ok(rename.changes[uri].every((e) => e.newText === 'core'));

  const edits = await conn.sendRequest(lsp.DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
  assert.strictEqual(edits.length, 1);
  assert.strictEqual(edits[0].newText.split('\n')[0], 'vpc main { cidr = "10.0.0.0/16" }');

  await conn.sendRequest(lsp.ShutdownRequest.type);
  const exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
  conn.sendNotification(lsp.ExitNotification.type);
  const code = await exited;
  assert.strictEqual(code, 0, 'exit code after shutdown and exit');
  console.log('PASS: initialize, open, change, a burst of changes, hover, completion, definition, rename, formatting, shutdown');
}

main().then(() => {
  clearTimeout(timer);
  conn.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}, (e) => {
  console.error('FAIL: ' + (e && e.stack ? e.stack : e));
  server.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
