// The HTML report in a real browser (Debian's chromium, headless, driven by playwright-core; no
// browser download): it renders at 1280 px without console errors or network requests, links from
// expected-graph steps open the collapsed tree around their call, and print media expands every tree.
// chromium comes with `ipvs-harness setup --for-tests` (npm test's pretest).
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHtml } from '../analysis/report/render-html.ts';
import { fixtureReport } from './report-fixtures.ts';

const CHROMIUM = process.env['IPVS_HARNESS_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let dir: string;
let context: BrowserContext;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (\`sudo apt-get install chromium\` or \`ipvs-harness setup --for-tests\`)`);
  dir = mkdtempSync(join(tmpdir(), 'ipvs-report-browser-'));
  writeFileSync(join(dir, 'seed.html'), toHtml(fixtureReport('seed').report));
  writeFileSync(join(dir, 'mixed.html'), toHtml(fixtureReport('mixed').report));
  context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  problems: string[];
  requests: string[];
}

async function open(file: string, hash = ''): Promise<Opened> {
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${join(dir, file)}${hash}`);
  await page.waitForLoadState('load');
  return { page, problems, requests };
}

describe('the report in headless Chromium', () => {
  it('renders the seed report at 1280 px: a screenshot of a non-empty page, no console errors, no network', async () => {
    const { page, problems, requests } = await open('seed.html');
    const shot = join(dir, 'seed.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(requests).toHaveLength(1);
    // Page code as a string: this file is type-checked without the DOM library.
    const layout = (await page.evaluate("({ text: document.body.innerText.length, width: document.documentElement.scrollWidth, cells: document.querySelectorAll('table.matrix td.cell').length })")) as { text: number; width: number; cells: number };
    expect(layout.cells).toBe(21);
    expect(layout.text).toBeGreaterThan(5_000);
    expect(layout.width).toBeLessThanOrEqual(1280); // wide trees scroll inside their section, not the page
    await page.close();
  }, 60_000);

  it('opens the collapsed tree around a call when its expected-graph step is followed', async () => {
    const { page, problems } = await open('mixed.html');
    const link = page.locator('.graph[data-holds="false"] li.exp[data-status="matched"] > a').first();
    const target = (await link.getAttribute('href'))!.slice(1);
    expect(await page.locator(`[id="${target}"]`).isVisible()).toBe(false); // inside a closed root
    await link.click();
    await page.waitForFunction(`(() => { const el = document.getElementById(${JSON.stringify(target)}); return el !== null && el.getBoundingClientRect().height > 0; })()`);
    expect(await page.locator(`[id="${target}"]`).isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('prints with every tree expanded', async () => {
    const { page } = await open('mixed.html');
    const call = page.locator('details.root:not([open]) li.call').first();
    expect(await call.isVisible()).toBe(false);
    await page.emulateMedia({ media: 'print' });
    expect(await call.isVisible()).toBe(true);
    expect(await page.locator('.toolbar').first().isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.length).toBeGreaterThan(10_000);
    await page.close();
  }, 60_000);
});
