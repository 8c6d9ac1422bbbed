// End-to-end: the Trace visualizer runs parser regexes with the browser's own RegExp (exact
// JavaScript semantics, as ShiViz runs them): a look-ahead imports, a bad pattern's error
// quotes it as written, and the guards refuse what could freeze the page (a repetition that
// backtracks exponentially, an overlong line) with a message saying why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openPage } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const tlaLog = () => readFile(path.resolve(here, '../../core/tests/data/tla_ping_pong.log'), 'utf8');

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function parseWith(page, regex, text) {
  await page.locator('.trace-regex').fill(regex);
  if (text !== undefined) await page.locator('.trace-text').fill(text);
  await page.locator('.trace-parse').click();
}

test('a look-ahead and a look-behind import in the browser (TLA+ states after the initial one)', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.trace-format').selectOption('tla');
  // (?!Initial) skips the initial state, whose host "--" and all-zero clock are no event.
  const lookahead = String.raw`^State \d+: <(?!Initial)(?<event>[^>]*)>\n/\\ Clock = "(?<clock>.*)"\n/\\ Host = "(?<host>.*)"`;
  await parseWith(page, lookahead, await tlaLog());
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('8 events'));
  assert.match(await page.locator('.trace-summary').innerText(), /^2 execution\(s\) · this one: 3 hosts · 8 events/);
  assert.equal(await page.locator('.trace-error').count(), 0);
  // A look-behind: the host is the word after `Host = "`.
  const lookbehind = String.raw`^State \d+: <(?!Initial)(?<event>[^>]*)>\n/\\ Clock = "(?<clock>.*)"\n.*(?<=Host = ")(?<host>\w+)"`;
  await parseWith(page, lookbehind);
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('8 events'));
  assert.equal(await page.locator('.trace-error').count(), 0);
  assert.deepEqual(page.errors, []);
});

test("a bad pattern's error quotes the pattern as written", async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const bad = String.raw`(?<host>\S*) (?<clock>{.*}\n(?<event>.*)`;
  await parseWith(page, bad);
  const error = await page.locator('.trace-error').innerText();
  assert.ok(error.includes(`the parser regex /${bad}/ does not compile`), error);
  assert.doesNotMatch(error, /x\{2000\}|dgm/, 'no internal rewrite, no flags');
  assert.deepEqual(page.errors, []);
});

test('a catastrophic pattern is refused before it runs, and the page keeps answering', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const log = `a {"a":1}\n${'word '.repeat(40)}!\n`;
  const evil = String.raw`(?<host>\S*) (?<clock>{.*})\n(?<event>(\w+\s?)*)$`;
  const started = Date.now();
  await parseWith(page, evil, log);
  const error = await page.locator('.trace-error').innerText();
  assert.match(error, /repeated group at character 39/);
  assert.match(error, /exponential time/);
  assert.ok(Date.now() - started < 10_000, 'refused without running');
  assert.equal(await page.evaluate(() => 1 + 1), 2);
  assert.deepEqual(page.errors, []);
});

test('a line longer than the browser engine reads is refused with its number', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const log = `a {"a":1}\nstart\na {"a":2}\n${'x'.repeat(40_000)}\n`;
  await parseWith(page, String.raw`(?<host>\S*) (?<clock>{.*})\n(?<event>.*)`, log);
  const error = await page.locator('.trace-error').innerText();
  assert.match(error, /line 4: the parser regex .* could not run: the line is 40000 characters long/);
  assert.deepEqual(page.errors, []);
});
