// chromium.mjs - which browser the tests run on. Imported first by every browser test, it
// prints the version as the test's first line, so a failure report says which Chromium it was.
import { execFileSync } from 'node:child_process';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

let version;
try {
  version = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch (e) {
  console.error(`browser tests: ${CHROMIUM} does not run (${e.message.split('\n')[0]}); scripts/setup.sh installs Debian's chromium`);
  process.exit(1);
}
console.log(`browser: ${version} (${CHROMIUM})`);
