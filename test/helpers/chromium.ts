/**
 * A real headless Chromium for the browser tests, driven by playwright-core. Which one, in order:
 * `CHROMIUM_PATH`, a Chromium the machine has (Debian's `chromium` package), else the Chromium
 * that `@sparticuz/chromium` carries in its npm package (unpacked once into the temporary folder).
 * The run's global setup picks it once (`test/setup/chromium.ts`), so two test files never unpack
 * it at the same time. Playwright starts it on a fresh temporary profile each time; the flags keep
 * it from reaching for the network, which this machine does not have.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { inject } from 'vitest';

export interface ChromiumChoice {
  executablePath: string;
  args: string[];
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

declare module 'vitest' {
  export interface ProvidedContext {
    chromium: ChromiumChoice;
  }
}

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * @sparticuz/chromium's flags are for AWS Lambda. Those that turn off the browser's own security
 * (same-origin policy, mixed content, site isolation) would hide exactly what the tests check
 * (CSP, CORS, cookies); with `--single-process`, pages in separate browser contexts lost their
 * sign-in here. So those are left out.
 */
const LEFT_OUT = /^--(disable-web-security|allow-running-insecure-content|disable-site-isolation-trials|single-process)$/;

export async function chooseChromium(): Promise<ChromiumChoice> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH names ${fromEnv}, which does not exist`);
    return { executablePath: fromEnv, args: ARGS, source: 'CHROMIUM_PATH' };
  }
  const system = SYSTEM_PATHS.find((path) => existsSync(path));
  if (system) return { executablePath: system, args: ARGS, source: 'system' };
  const { default: packaged } = await import('@sparticuz/chromium');
  const args = [...new Set([...packaged.args.filter((flag) => !LEFT_OUT.test(flag)), ...ARGS.filter((flag) => flag !== '--headless')])];
  return { executablePath: await packaged.executablePath(), args, source: '@sparticuz/chromium' };
}

export async function launchChromium(): Promise<Browser> {
  const choice = inject('chromium');
  return chromium.launch({ executablePath: choice.executablePath, args: choice.args });
}
