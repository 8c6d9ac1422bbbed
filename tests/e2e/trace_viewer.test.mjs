// End-to-end: the Trace visualizer imports real ShiViz logs (the interop corpus in
// ../shared/interop/shiviz), shows the right hosts and events, reports broken logs by line,
// and never renders imported text as markup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openPage } from './helpers.mjs';

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/interop/shiviz');
const manifest = JSON.parse(await readFile(path.join(corpus, 'manifest.json'), 'utf8'));
const entry = (file) => manifest.logs.find((l) => l.file === file);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function importFile(page, file, { delimiter } = {}) {
  const { parser } = entry(file);
  await page.locator('.trace-regex').fill(parser);
  await page.locator('.trace-delimiter').fill(delimiter ?? '');
  await page.locator('.trace-upload').setInputFiles(path.join(corpus, file));
}

test('uploading a corpus log shows its hosts and events', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  for (const file of ['simple-reliable-broadcast.log', 'facebook.log']) {
    await importFile(page, file);
    const [{ events, hosts }] = entry(file).executions;
    await page.waitForFunction((e) => document.querySelector('.trace-summary')?.textContent.includes(`${e} events`), events);
    assert.match(await page.locator('.trace-summary').innerText(), new RegExp(`${hosts} hosts · ${events} events`));
    assert.equal(await page.locator('svg.spacetime circle.event').count(), events);
    assert.equal(await page.locator('svg.spacetime g.lane').count(), hosts);
  }
  assert.deepEqual(page.errors, []);
});

test('a multi-execution log offers each execution', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const spec = entry('facebook-multiple.log');
  await importFile(page, 'facebook-multiple.log', { delimiter: spec.delimiter });
  await page.locator('.trace-execution').waitFor();
  assert.equal(await page.locator('.trace-execution option').count(), spec.executions.length);
  await page.locator('.trace-execution').selectOption('1');
  await page.waitForFunction((e) => document.querySelector('.trace-summary')?.textContent.includes(`${e} events`), spec.executions[1].events);
  assert.equal(await page.locator('svg.spacetime circle.event').count(), spec.executions[1].events);
});

test('a broken log is refused with the line to fix, and the last good log stays', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const before = await page.locator('svg.spacetime circle.event').count();
  const text = await page.locator('.trace-text').inputValue();
  // The sample's server clock jumps from 1 to 5: not a +1 local step.
  await page.locator('.trace-text').fill(text.replace('{"client":1, "server":2}', '{"client":1, "server":5}'));
  await page.locator('.trace-parse').click();
  const error = await page.locator('.trace-error').innerText();
  assert.match(error, /line 5/);
  assert.equal(await page.locator('svg.spacetime circle.event').count(), before);
});

test('imported text is data: markup in a log is shown, never executed', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  const hostile = 'evil {"evil":1}\n<img src=x onerror=alert(1)><script>alert(2)</script>\n';
  await page.locator('.trace-text').fill(hostile);
  await page.locator('.trace-parse').click();
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('1 events'));
  await page.locator('svg.spacetime circle.event').first().click();
  assert.equal(await page.locator('main img').count(), 0);
  assert.equal(await page.locator('main script').count(), 0);
  assert.match(await page.locator('.inspector').innerText(), /<img src=x onerror=alert\(1\)>/);
  assert.equal(dialogs, 0);
  // The Mermaid export escapes it too.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.export-mermaid').click()]);
  const mermaid = await readFile(await download.path(), 'utf8');
  assert.doesNotMatch(mermaid, /<img|<script/);
});

test('search marks matching events', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.trace-search').fill('reply');
  assert.match(await page.locator('.trace-matches').innerText(), /2 match/);
  assert.equal(await page.locator('svg.spacetime circle.marked').count(), 2);
});
