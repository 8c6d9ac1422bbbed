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
  // Highlighting a host rings all of its events too (the sample's server logs 2).
  await page.locator('.trace-search').fill('');
  await page.locator('.host-highlight').nth(1).click();
  assert.equal(await page.locator('svg.spacetime circle.marked').count(), 2);
  await page.locator('.host-highlight').nth(0).click();
  assert.equal(await page.locator('svg.spacetime circle.marked').count(), 5);
  // Collapsing runs of local events: the sample has none longer than one, so nothing merges.
  await page.locator('.trace-collapse').check();
  assert.equal(await page.locator('svg.spacetime circle.event').count(), 5);
  // Hiding the server leaves the client alone: its three events no longer exchange messages,
  // so they form one run of local events.
  await page.locator('.host-toggle input[type=checkbox]').nth(1).uncheck();
  assert.equal(await page.locator('svg.spacetime g.lane').count(), 1);
  assert.equal(await page.locator('svg.spacetime circle.event').count(), 1);
  assert.match(await page.locator('svg.spacetime circle.event').getAttribute('aria-label'), /3 local events: send request … receive reply/);
  await page.locator('.trace-collapse').uncheck();
  assert.equal(await page.locator('svg.spacetime circle.event').count(), 3);
});

test('a run exported from a lab as a ShiViz log imports back with the same events', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=6');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  const events = await page.locator('svg.spacetime circle.event').count();
  const messages = await page.locator('svg.spacetime line.msg').count();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.export-shiviz').click()]);
  const log = await readFile(await download.path(), 'utf8');
  await page.goto(page.url().replace(/#.*$/, '#/lab/trace'));
  await page.locator('.trace-format').selectOption('shiviz-export');
  await page.locator('.trace-text').fill(log);
  await page.locator('.trace-parse').click();
  await page.waitForFunction((e) => document.querySelector('.trace-summary')?.textContent.includes(`${e} events`), events);
  const summary = await page.locator('.trace-summary').innerText();
  assert.match(summary, new RegExp(`4 hosts · ${events} events`));
  // Messages are inferred from clocks: one overtaken by a later message from the same sender
  // adds no clock information and cannot be recovered (ShiViz has the same limit); the
  // happens-before relation is unchanged (checked natively in core/tests/trace_import.rs).
  const inferred = Number(summary.match(/(\d+) messages/)[1]);
  assert.ok(inferred <= messages && inferred >= messages - 3, `${inferred} inferred of ${messages}`);
});

// ShiViz's own semantics, computed here with the browser-independent JavaScript engine: the
// events the manifest's regex finds in one execution's text.
function jsEvents(text, parser) {
  const re = new RegExp(parser, 'gm');
  return [...text.matchAll(re)].map((m) => m.groups);
}

async function pasteAndParse(page, file, { delimiter } = {}) {
  const { parser } = entry(file);
  await page.locator('.trace-regex').fill(parser);
  await page.locator('.trace-delimiter').fill(delimiter ?? '');
  await page.locator('.trace-text').fill(await readFile(path.join(corpus, file), 'utf8'));
  await page.locator('.trace-parse').click();
}

test('search under "collapse runs of local events" counts every match (simpledb)', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await pasteAndParse(page, 'simpledb.log');
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('509 events'));
  const text = await readFile(path.join(corpus, 'simpledb.log'), 'utf8');
  const expected = jsEvents(text, entry('simpledb.log').parser)
    .filter((g) => g.event.toLowerCase().includes('added table')).length;
  assert.ok(expected > 1);
  await page.locator('.trace-search').fill('added table');
  assert.equal(await page.locator('.trace-matches').innerText(), `${expected} match(es)`);
  const drawnBefore = await page.locator('svg.spacetime circle.marked').count();
  await page.locator('.trace-collapse').check();
  await page.waitForFunction((n) => document.querySelectorAll('svg.spacetime circle.event').length < n, 509);
  assert.equal(await page.locator('.trace-matches').innerText(), `${expected} match(es)`);
  const drawnAfter = await page.locator('svg.spacetime circle.marked').count();
  assert.ok(drawnAfter > 0 && drawnAfter <= drawnBefore, `${drawnAfter} runs marked of ${drawnBefore}`);
  // host=NAME finds one host's events.
  const host = jsEvents(text, entry('simpledb.log').parser)[0].host;
  const ofHost = jsEvents(text, entry('simpledb.log').parser).filter((g) => g.host === host).length;
  await page.locator('.trace-search').fill(`host=${host}`);
  assert.equal(await page.locator('.trace-matches').innerText(), `${ofHost} match(es)`);
  assert.deepEqual(page.errors, []);
});

test('the inspector shows the log: host names, clock by host, line and every field (facebook)', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await pasteAndParse(page, 'facebook.log');
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('47 events'));
  await page.locator('svg.spacetime circle.event').first().click();
  const inspector = page.locator('.inspector');
  const heading = await inspector.locator('h3').innerText();
  const hosts = new Set(jsEvents(await readFile(path.join(corpus, 'facebook.log'), 'utf8'), entry('facebook.log').parser).map((g) => g.host));
  assert.ok([...hosts].some((h) => heading.endsWith(`at ${h}`)), heading);
  assert.match(await inspector.locator('.insp-vector').innerText(), /\{"\w+":\d+/);
  assert.match(await inspector.locator('.insp-line').innerText(), /^\d+$/);
  for (const field of ['ip', 'date', 'action']) {
    assert.equal(await inspector.locator(`.insp-field[data-field="${field}"]`).count(), 1, field);
  }
  assert.doesNotMatch(await inspector.innerText(), /true time/);
  assert.deepEqual(page.errors, []);
});

test('motifs are listed, counted, marked and stepped with buttons and arrow keys (akka broadcast)', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await pasteAndParse(page, 'simple-reliable-broadcast.log');
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('39 events'));
  await page.locator('.trace-tool').selectOption('motifs');
  for (const kind of ['request-response', 'broadcast', 'gather']) {
    await page.locator('.motif-kind').selectOption(kind);
    const summary = await page.locator('.analysis-summary').innerText();
    const n = Number(summary.match(/^(\d+) occurrence/)[1]);
    assert.ok(n > 0, `${kind}: ${summary}`);
    assert.equal(await page.locator('.trace-findings .finding').count(), n);
    assert.ok(await page.locator('svg.spacetime circle.marked').count() >= 2);
  }
  await page.locator('.motif-kind').selectOption('request-response');
  const n = await page.locator('.trace-findings .finding').count();
  await page.locator('.finding-next').click();
  assert.equal(await page.locator('.finding-position').innerText(), `2 of ${n}`);
  const selected = await page.locator('.inspector h3').innerText();
  await page.locator('.trace-findings').focus();
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.locator('.finding-position').innerText(), `1 of ${n}`);
  await page.keyboard.press('End');
  assert.equal(await page.locator('.finding-position').innerText(), `${n} of ${n}`);
  await page.locator('.finding-next').click();
  assert.equal(await page.locator('.finding-position').innerText(), `1 of ${n}`, 'wraps around');
  assert.match(selected, /^Event #\d+ at node\d/);
  // A custom structured motif, and a bad one explained.
  await page.locator('.motif-kind').selectOption('custom');
  await page.locator('.motif-pattern').fill('A->B, B->A');
  assert.match(await page.locator('.analysis-summary').innerText(), new RegExp(`^${n} occurrence`));
  await page.locator('.motif-pattern').fill('A=>B');
  assert.match(await page.locator('.analysis-error').innerText(), /X->Y/);
  assert.deepEqual(page.errors, []);
});

test('comparing executions and clustering them (multiple-comparison)', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const spec = entry('multiple-comparison.log');
  await pasteAndParse(page, 'multiple-comparison.log', { delimiter: spec.delimiter });
  await page.locator('.trace-execution').waitFor();
  await page.locator('.trace-tool').selectOption('compare');
  const names = spec.executions.map((e) => e.name);
  // Base against itself and against its copy: no difference.
  for (const other of [0, 1]) {
    await page.locator('.compare-with').selectOption(String(other));
    assert.match(await page.locator('.analysis-summary').innerText(), /^0 difference/, names[other]);
  }
  const some = names.indexOf('Some events are different from base');
  const all = names.indexOf('All events are different from base');
  await page.locator('.compare-with').selectOption(String(some));
  const fewer = Number((await page.locator('.analysis-summary').innerText()).match(/^(\d+)/)[1]);
  await page.locator('.compare-with').selectOption(String(all));
  const more = Number((await page.locator('.analysis-summary').innerText()).match(/^(\d+)/)[1]);
  assert.ok(fewer > 0 && fewer < more, `${fewer} < ${more}`);
  assert.equal(more, spec.executions[0].events + spec.executions[all].events);
  assert.ok(await page.locator('svg.spacetime circle.marked').count() > 0, 'differences are marked');
  // Clusters: every execution has 2 hosts; by distance to the chosen base (here "All events
  // are different"), the base sits alone at 0.
  const clusters = page.locator('.trace-clusters .cluster');
  assert.match(await clusters.nth(0).innerText(), /2 hosts:/);
  assert.equal(await clusters.nth(0).locator('.cluster-member').count(), names.length);
  const byDistance = clusters.nth(1).locator('li');
  assert.match(await byDistance.first().innerText(), /^0 differences: All events are different from base$/);
  // A cluster member button shows that execution.
  await clusters.nth(0).locator('.cluster-member').nth(some).click();
  await page.waitForFunction((i) => document.querySelector('.trace-execution')?.value === String(i), some);
  assert.deepEqual(page.errors, []);
});

test('hosts can be ordered by number of events or first appearance (facebook)', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await pasteAndParse(page, 'facebook.log');
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('47 events'));
  const groups = jsEvents(await readFile(path.join(corpus, 'facebook.log'), 'utf8'), entry('facebook.log').parser);
  const counts = new Map();
  for (const g of groups) counts.set(g.host, (counts.get(g.host) ?? 0) + 1);
  const firstSeen = [...counts.keys()];
  const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1] || firstSeen.indexOf(a[0]) - firstSeen.indexOf(b[0])).map(([h]) => h);
  // Each lane label carries the host's full name in its <title> (the text itself may be shortened).
  const lanes = () => page.locator('svg.spacetime g.gutter-copy .lane-label title').allTextContents();
  await page.locator('.host-order').selectOption('events');
  assert.deepEqual(await lanes(), busiest);
  await page.locator('.host-order').selectOption('first');
  assert.deepEqual(await lanes(), firstSeen);
  assert.equal(await page.locator('svg.spacetime circle.event').count(), 47);
  assert.deepEqual(page.errors, []);
});

test('the clock-skew audit lists disagreements and bounds every host (akka dates)', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  await pasteAndParse(page, 'simple-reliable-broadcast.log');
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('39 events'));
  await page.locator('.trace-tool').selectOption('skew');
  const summary = await page.locator('.analysis-summary').innerText();
  assert.match(summary, /^\d+ happens-before pair\(s\) stamped the wrong way round by field "date"/);
  const n = Number(summary.match(/^(\d+)/)[1]);
  assert.equal(await page.locator('.trace-findings .finding').count(), n);
  assert.equal(await page.locator('.skew-bounds .skew-row').count(), entry('simple-reliable-broadcast.log').executions[0].hosts);
  assert.equal(await page.locator('svg.skew-plot .skew-bar').count(), 3);
  // The reference host's offset to itself is 0 on both sides.
  assert.match(await page.locator('.skew-bounds .skew-row').first().innerText(), /0\.000 ms\s+0\.000 ms/);
  assert.match(await page.locator('.skew-lesson').innerText(), /clock-drift lab/);
  // A field that is not a timestamp is explained.
  await page.locator('.skew-field').fill('event');
  assert.match(await page.locator('.analysis-error').innerText(), /no event has a field "event"/);
  await page.locator('.skew-field').fill('');
  // facebook.log's clocks (whole seconds, four machines) fit no fixed offsets at all, and one
  // happens-before pair is stamped the wrong way round.
  await pasteAndParse(page, 'facebook.log');
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('47 events'));
  await page.locator('.trace-tool').selectOption('skew');
  assert.match(await page.locator('.analysis-summary').innerText(), /^1 happens-before pair/);
  assert.equal(await page.locator('.trace-findings .finding').count(), 1);
  assert.match(await page.locator('.skew-inconsistent').innerText(), /No fixed clock offsets/);
  assert.deepEqual(page.errors, []);
});

test('a TLA+ error-trace dump with escaped clocks and a ^-anchored multi-line regex imports', async () => {
  const page = await openPage(browser, '#/lab/trace');
  await page.locator('svg.spacetime').waitFor();
  const text = await readFile(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../core/tests/data/tla_ping_pong.log'), 'utf8');
  await page.locator('.trace-format').selectOption('tla');
  assert.match(await page.locator('.trace-regex').inputValue(), /^\^State/);
  assert.equal(await page.locator('.trace-delimiter').inputValue(), String.raw`^Error: (?<trace>Invariant \w+ is violated)\.$`);
  await page.locator('.trace-text').fill(text);
  await page.locator('.trace-parse').click();
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('8 events'));
  assert.match(await page.locator('.trace-summary').innerText(), /^2 execution\(s\) · this one: 3 hosts · 8 events · 4 messages/);
  await page.locator('svg.spacetime circle.event').first().click();
  assert.match(await page.locator('.inspector h3').innerText(), /at n1$/);
  assert.match(await page.locator('.insp-field[data-field="location"]').innerText(), /of module PingPong/);
  // The browser runs JavaScript's own RegExp: a look-ahead skipping the initial state imports too.
  await page.locator('.trace-regex').fill(String.raw`^State \d+: <(?!Initial)(?<event>[^>]*)>\n/\\ Clock = "(?<clock>.*)"\n/\\ Host = "(?<host>.*)"`);
  await page.locator('.trace-parse').click();
  await page.waitForFunction(() => document.querySelector('.trace-summary')?.textContent.includes('8 events'));
  assert.equal(await page.locator('.trace-error').count(), 0);
  assert.deepEqual(page.errors, []);
});
