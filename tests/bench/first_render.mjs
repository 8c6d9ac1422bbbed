// Browser benchmark (not a test): time from navigation to the first drawn space-time diagram
// for every lab listed on the home page, release build, headless Chromium, fresh page each.
// Run with `./dev bench` (or BASE_URL=... node tests/bench/first_render.mjs).
import { launch, BASE_URL } from '../e2e/helpers.mjs';

const browser = await launch();
const home = await browser.newPage();
await home.goto(BASE_URL + '#/');
await home.locator('.lab-card a').first().waitFor();
const links = await home.locator('.lab-card a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
await home.close();
const rows = [];
for (const href of links) {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(BASE_URL + href);
  await page.locator('svg.spacetime').first().waitFor({ timeout: 15000 });
  rows.push([href, Date.now() - t0]);
  await page.close();
}
for (const [href, ms] of rows) console.log(`first render ${href.padEnd(32)} ${String(ms).padStart(5)} ms`);
console.log(`slowest first render: ${Math.max(...rows.map((r) => r[1]))} ms over ${rows.length} labs`);
await browser.close();
