// Validates SARIF logs against the SARIF 2.1.0 JSON schema.
//   node validate.js FILE...   exit 0 when every file is valid, 1 otherwise
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

const schemaPath = path.join(__dirname, 'node_modules', '@microsoft', 'jest-sarif', 'lib',
                             'schemas', 'sarif-2.1.0-rtm.5.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv({ schemaId: 'auto', allErrors: true, jsonPointers: true });
ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
const validate = ajv.compile(schema);

let failed = false;
for (const file of process.argv.slice(2)) {
  let log;
  try {
    log = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`${file}: not JSON: ${e.message}`);
    failed = true;
    continue;
  }
  if (!validate(log)) {
    failed = true;
    for (const err of validate.errors)
      console.error(`${file}: ${err.dataPath || '/'}: ${err.message}`);
  } else if (log.version !== '2.1.0') {
    failed = true;
    console.error(`${file}: version is ${log.version}, not 2.1.0`);
  }
}
process.exit(failed ? 1 : 0);
