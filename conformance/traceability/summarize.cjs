// summarize.cjs KEY NEWMAN_JSON FAILURES_TXT: prints "KEY: P passed, F failed of T assertions (requests R,
// script errors E)" and then every failing assertion ("request › assertion: message"), also written to
// FAILURES_TXT, followed by request and script errors (which are not assertions: a request that could not be
// sent, a test or pre-request script that threw outside pm.test).
'use strict';
const fs = require('node:fs');
const [key, file, failuresFile] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch(e) {
  console.log(`${key}: newman produced no report (${e.message})`);
  process.exit(0);
}
const lines = [];
const others = [];
const oneLine = message => String(message).split('\n').map(l => l.trim()).filter(Boolean).join(' | ').slice(0, 300);
// A request whose scripts call pm.sendRequest has one execution per request sent, all with the item's
// assertions: count each item execution (its id) once.
const seen = new Set();
for(const execution of report.run.executions || []) {
  const name = execution.item && execution.item.name;
  if(seen.has(execution.id)) {
    continue;
  }
  seen.add(execution.id);
  for(const a of execution.assertions || []) {
    if(a.error) {
      lines.push(`- ${name} › ${a.assertion}: ${oneLine(a.error.message)}`);
    }
  }
  if(execution.requestError) {
    others.push(`- ${name}: request not sent: ${execution.requestError.message || execution.requestError.code}`);
  }
}
for(const f of report.run.failures || []) {
  const type = f.error && f.error.type;
  if(type === 'script' || (f.error && f.error.name && f.error.name !== 'AssertionError')) {
    const where = f.source && f.source.name;
    const at = f.at || '';
    others.push(`- ${where} (${at}): ${f.error.name}: ${oneLine(f.error.message)}`);
  }
}
const s = report.run.stats;
const assertions = s.assertions || {total: 0, failed: 0};
const scriptErrors = (s.testScripts ? s.testScripts.failed : 0) + (s.prerequestScripts ? s.prerequestScripts.failed : 0);
console.log(`${key}: ${assertions.total - assertions.failed} passed, ${assertions.failed} failed of ` +
  `${assertions.total} assertions (requests ${s.requests.total}, script errors ${scriptErrors})`);
const text = lines.concat(others.length ? ['  not assertions:'].concat(others) : []).join('\n');
fs.writeFileSync(failuresFile, text + '\n');
if(text) {
  console.log(text.split('\n').map(l => '    ' + l).join('\n'));
}
