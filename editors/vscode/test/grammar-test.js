// Tokenizes every .infra file of examples/ and tests/ with the extension's
// TextMate grammar, through VS Code's own tokenizer (vscode-textmate on the
// Oniguruma regex engine, vscode-oniguruma), and fails on any token left
// without a scope of the grammar (only `source.infra`), and on any token the
// grammar marks invalid in examples/. A few lines are checked scope by scope
// first, so that a grammar that scopes everything the same also fails.
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const root = path.resolve(__dirname, '..', '..', '..');
const grammarPath = path.join(__dirname, '..', 'syntaxes', 'infra.tmLanguage.json');

function infraFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...infraFiles(p));
    } else if (e.name.endsWith('.infra')) out.push(p);
  }
  return out.sort();
}

async function main() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) =>
      scope === 'source.infra'
        ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath)
        : null,
  });
  const grammar = await registry.loadGrammar('source.infra');

  function tokenize(text) {
    const out = [];
    let state = vsctm.INITIAL;
    text.split(/\r?\n/).forEach((line, i) => {
      const r = grammar.tokenizeLine(line, state);
      for (const t of r.tokens)
        out.push({ line: i + 1, col: t.startIndex + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
      state = r.ruleStack;
    });
    return out;
  }

  let failures = 0;
  const fail = (msg) => { console.error('FAIL ' + msg); failures++; };

  // Scope by scope.
  const expected = [
    ['listener http { port = 80; default = forward(web) }  # infrac:ignore SEC004 -- why', [
      ['listener', 'entity.name.type.kind.infra'], ['http', 'entity.name.label.infra'],
      ['{', 'punctuation.section.block.infra'], ['port', 'variable.other.property.infra'],
      ['=', 'keyword.operator.assignment.infra'], ['80', 'constant.numeric.infra'],
      [';', 'punctuation.terminator.infra'], ['forward', 'support.function.infra'],
      ['web', 'variable.other.infra'], ['#', 'punctuation.definition.comment.infra'],
      ['infrac:ignore', 'keyword.other.suppression.infra']]],
    ['at 30s { kill = web_asg.instances[0] }', [
      ['at', 'entity.name.type.kind.infra'], ['30s', 'constant.numeric.quantity.infra'],
      ['instances', 'variable.other.member.infra'], ['[', 'punctuation.section.brackets.infra']]],
    ['expect healthy(web) >= 2 within 30s', [
      ['expect', 'keyword.control.expect.infra'], ['>=', 'keyword.operator.comparison.infra'],
      ['within', 'keyword.control.expect.infra']]],
    ['name = "a\\tb"', [['\\t', 'constant.character.escape.infra'], ['"', 'punctuation.definition.string.begin.infra']]],
  ];
  for (const [line, pairs] of expected) {
    const toks = tokenize(line);
    for (const [text, scope] of pairs) {
      const t = toks.find((x) => x.text === text);
      if (!t) fail(`'${line}': no token '${text}'`);
      else if (!t.scopes.includes(scope)) fail(`'${line}': '${text}' has ${t.scopes.join(' ')}, not ${scope}`);
    }
  }

  // Every file of the repository.
  const files = [...infraFiles(path.join(root, 'examples')), ...infraFiles(path.join(root, 'tests'))];
  if (files.length < 50) fail(`only ${files.length} .infra files found`);
  let tokens = 0;
  for (const f of files) {
    const rel = path.relative(root, f);
    const isExample = rel.startsWith('examples' + path.sep);
    for (const t of tokenize(fs.readFileSync(f, 'utf8'))) {
      if (t.text.trim() === '') continue;
      tokens++;
      if (t.scopes.length < 2) fail(`${rel}:${t.line}:${t.col}: '${t.text}' has no scope`);
      else if (isExample && t.scopes.some((s) => s.startsWith('invalid.')))
        fail(`${rel}:${t.line}:${t.col}: '${t.text}' is marked ${t.scopes.join(' ')}`);
    }
  }
  console.log(`${files.length} files, ${tokens} tokens, ${failures} failures`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
