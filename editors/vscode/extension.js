// The VS Code client of infrac's language server: starts `infrac lsp` (the
// binary named by the infrac.path setting) for .infra files.
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('infrac').get('path') || 'infrac';
  const serverOptions = {
    run: { command, args: ['lsp'], transport: TransportKind.stdio },
    debug: { command, args: ['lsp'], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'infra' }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.infra,.infrac.yaml}') },
  };
  client = new LanguageClient('infrac', 'infrac', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
