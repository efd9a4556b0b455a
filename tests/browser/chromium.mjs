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

// A safety net, not a clock: a test that hangs (a browser that stops answering) fails after
// WATCHDOG_MINUTES instead of holding CI for ever. Every test waits for states, so a slow
// machine only makes it take longer.
const minutes = Number(process.env.WATCHDOG_MINUTES || 45);
setTimeout(() => {
  console.log(`  FAIL watchdog: ${process.argv[1]} still running after ${minutes} minutes`);
  process.exit(1);
}, minutes * 60000).unref();
