// Mocha entry point loaded by the extension host (code-server) for the responsiveness benchmark.
// Run by bench/ext-host.mjs through test/e2e-runner/run-code-server.mjs; plain JS, no build step.
const path = require('node:path');
const Mocha = require('mocha');

exports.run = function run() {
  const mocha = new Mocha({ ui: 'bdd', timeout: 30 * 60_000, color: false, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'responsiveness.test.js'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
};
