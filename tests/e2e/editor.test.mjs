// End-to-end: the Collaborative editor lab with real tabs. Pages of one browser context are
// tabs of one browser, so their BroadcastChannels reach each other — that is the network.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, BASE_URL } from './helpers.mjs';

// Random choices are seeded (EDITOR_SEED=… reproduces a run; the seed is in every failure).
const SEED = Number(process.env.EDITOR_SEED ?? 20261129) >>> 0;
// mulberry32: a small seeded PRNG; returns an integer in [lo, hi].
function seeded(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const unique = (name) => `${name}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;

// Opens a tab of `context` and fails the test on page errors or Rust panics.
async function openTab(context, hash) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.errors = errors;
  await page.goto(BASE_URL + hash);
  await page.locator('.editor').waitFor();
  return page;
}

const text = (page) => page.locator('textarea.doc').inputValue();
const peerId = (page) => page.locator('.editor').getAttribute('data-peer');

// Waits until every tab is synced and sees the others live.
async function ready(tabs) {
  for (const p of tabs) {
    await p.locator('.editor[data-synced=true]').waitFor();
    await p.waitForFunction((n) => document.querySelectorAll('.peers li.peer.live').length >= n, tabs.length - 1);
  }
}

async function until(what, fn, timeout = 10000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last.ok) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

const isSubsequence = (word, s) => { let i = 0; for (const c of s) if (c === word[i]) i++; return i === word.length; };

async function hold(page, other) {
  await page.locator(`li.peer[data-peer="${await peerId(other)}"] button.hold`).click();
}

test('three tabs type concurrently under delay, hold, drop and duplicates, then converge', async () => {
  const context = await browser.newContext();
  const room = unique('conv');
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await openTab(context, `#/lab/editor?room=${room}`));
  await ready(tabs);
  const [a, b, c] = tabs;
  const rand = seeded(SEED);
  // Every tab gets its own outgoing delay and typing pace, drawn from the seed.
  const delays = tabs.map(() => rand(0, 250));
  const paces = tabs.map(() => rand(10, 60));
  const why = `seed ${SEED}: delays ${delays}, paces ${paces}`;
  for (const [i, p] of tabs.entries()) {
    await p.locator('.ctl-delay').fill(String(delays[i]));
    await p.locator('.ctl-delay').press('Enter');
  }
  await b.locator('.ctl-dup').check();
  await c.locator('.ctl-drop').fill('30');
  await c.locator('.ctl-drop').press('Enter');
  await hold(a, c);
  const words = ['alpha', 'bravo', 'charlie'];
  await Promise.all(tabs.map((p, i) =>
    p.locator('textarea.doc').pressSequentially(words[i], { delay: paces[i] })));
  // The held link really holds something: every one of A's edits waits for C.
  const held = (await a.locator(`li.peer[data-peer="${await peerId(c)}"] button.hold`).innerText()).match(/Release link \((\d+) waiting\)/);
  assert.ok(held, why);
  assert.ok(Number(held[1]) >= words[0].length, `${held[0]}; ${why}`);
  await hold(a, c); // release
  await c.locator('.ctl-drop').fill('0');
  await c.locator('.ctl-drop').press('Enter');
  const total = words.join('').length;
  const done = await until(`convergence (${why})`, async () => {
    const texts = await Promise.all(tabs.map(text));
    return { ok: texts.every((t) => t === texts[0]) && texts[0].length === total, texts };
  }, 20000);
  for (const w of words) assert.ok(isSubsequence(w, done.texts[0]), `${w} in ${done.texts[0]}; ${why}`);
  for (const p of tabs) {
    assert.equal(await p.locator('.holdback li.waiting').count(), 0);
    assert.ok(await p.locator('svg.spacetime circle.event').count() > 0);
    assert.deepEqual(p.errors, []);
  }
  await context.close();
});

test('a reply whose dependency is held shows as waiting, then is delivered', async () => {
  const context = await browser.newContext();
  const room = unique('wait');
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await openTab(context, `#/lab/editor?room=${room}`));
  await ready(tabs);
  const [a, b, c] = tabs;
  await hold(a, c);
  await a.locator('textarea.doc').pressSequentially('Hello');
  await until('B has Hello', async () => ({ ok: (await text(b)) === 'Hello' }));
  await b.locator('textarea.doc').press('End');
  await b.locator('textarea.doc').pressSequentially(' World');
  const waiting = c.locator('.holdback li.waiting').first();
  await waiting.waitFor();
  assert.match(await waiting.innerText(), /received ' ' \[.*\] from [A-Z] — waiting for [A-Z]:1/);
  assert.equal(await text(c), '', 'nothing of the reply is shown before what it answers');
  await hold(a, c); // release
  await until('C delivers both', async () => ({ ok: (await text(c)) === 'Hello World', text: await text(c) }));
  assert.equal(await c.locator('.holdback li.waiting').count(), 0);
  assert.ok(await c.locator('svg.spacetime circle.event.receive').count() > 0);
  // The session exports like any lab run, and the ShiViz file imports in the Trace visualizer.
  const events = await c.locator('svg.spacetime circle.event').count();
  const [download] = await Promise.all([c.waitForEvent('download'), c.locator('.export-shiviz').click()]);
  const log = await readFile(await download.path(), 'utf8');
  assert.match(log, /^event: .*\nhost: .*\nclock: \{/m);
  // The session may have grown since the count (acknowledgements are drawn as they arrive).
  const exported = (log.match(/^event: /gm) ?? []).length;
  assert.ok(exported >= events, `${exported} exported of ${events} drawn`);
  for (const kind of ['json', 'mermaid', 'dot', 'svg']) assert.equal(await c.locator(`.export-${kind}`).count(), 1);
  const viewer = await context.newPage();
  await viewer.goto(BASE_URL + '#/lab/trace');
  await viewer.locator('.trace-format').selectOption('shiviz-export');
  await viewer.locator('.trace-text').fill(log);
  await viewer.locator('.trace-parse').click();
  await viewer.locator('.trace-summary').filter({ hasText: new RegExp(`· ${exported} events`) }).waitFor();
  assert.equal(await viewer.locator('.trace-error').count(), 0);
  await context.close();
});

test('a reopened tab catches up on edits a live peer made while it was closed', async () => {
  const context = await browser.newContext();
  const room = unique('catchup');
  const hash = `#/lab/editor?room=${room}`;
  const a = await openTab(context, hash);
  let b = await openTab(context, hash);
  await ready([a, b]);
  await a.locator('textarea.doc').pressSequentially('hello');
  await until('B has hello', async () => ({ ok: (await text(b)) === 'hello' }));
  await a.waitForTimeout(700); // both replicas saved with "hello"
  await b.close();
  // From now on A cannot save: what it types next exists only in A's memory, so the reopened
  // tab can only get it from A over the channel, not from storage.
  await a.evaluate(() => { Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); }; });
  await a.locator('textarea.doc').press('End');
  await a.locator('textarea.doc').pressSequentially(' world');
  await a.locator('.notice.warning').filter({ hasText: /could not save/ }).waitFor();
  await a.waitForTimeout(3500); // long enough for A to count B gone
  assert.equal(await a.locator('li.peer.gone, li.peer.left').count(), 1);
  b = await openTab(context, hash);
  assert.match(await b.locator('.restore-note').innerText(), /restored/);
  await until('the reopened tab catches up', async () => ({ ok: (await text(b)) === 'hello world', b: await text(b) }));
  await ready([a, b]);
  // And they keep converging both ways.
  await b.locator('textarea.doc').press('End');
  await b.locator('textarea.doc').pressSequentially('!');
  await until('A has the reopened tab\'s edit', async () => ({ ok: (await text(a)) === 'hello world!', a: await text(a) }));
  assert.equal(await b.locator('.holdback li.waiting').count(), 0);
  assert.deepEqual(b.errors, []);
  await context.close();
});

test('a closed and reopened tab restores its text and re-converges; a reload keeps its id', async () => {
  const context = await browser.newContext();
  const room = unique('persist');
  const hash = `#/lab/editor?room=${room}`;
  let a = await openTab(context, hash);
  let b = await openTab(context, hash);
  await ready([a, b]);
  await a.locator('textarea.doc').pressSequentially('hello');
  await until('B has hello', async () => ({ ok: (await text(b)) === 'hello' }));
  await b.close();
  await a.locator('textarea.doc').press('End');
  await a.locator('textarea.doc').pressSequentially(' world');
  await a.waitForTimeout(700); // the replica is saved within 300 ms of a change
  await a.close();
  // Nobody else is open: the text can only come from storage.
  b = await openTab(context, hash);
  assert.equal(await text(b), 'hello world');
  const id = await peerId(b);
  await b.reload();
  await b.locator('.editor').waitFor();
  assert.equal(await text(b), 'hello world');
  assert.equal(await peerId(b), id);
  a = await openTab(context, hash);
  await ready([a, b]);
  await b.locator('textarea.doc').press('End');
  await b.locator('textarea.doc').pressSequentially('!');
  await until('both converge', async () => ({ ok: (await text(a)) === 'hello world!', a: await text(a) }));
  assert.deepEqual(a.errors, []);
  assert.deepEqual(b.errors, []);
  await context.close();
});

test('a 100,000-character paste is saved without filling the storage and comes back on reload', async () => {
  const context = await browser.newContext();
  const room = unique('paste');
  const a = await openTab(context, `#/lab/editor?room=${room}`);
  await a.locator('.editor[data-synced=true]').waitFor();
  const pasted = Array.from({ length: 100000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  await a.locator('textarea.doc').fill(pasted); // one input event, as a paste is
  const key = `chronoscope-editor:rga:${room}:${await peerId(a)}`;
  const saved = await until('the replica is saved', async () => {
    const n = await a.evaluate((k) => localStorage.getItem(k)?.length ?? 0, key);
    return { ok: n > 0, n };
  });
  assert.ok(saved.n < 1000000, `saved replica of ${saved.n} UTF-16 units`);
  assert.equal(await a.locator('.notice.warning').filter({ hasText: /could not save/ }).count(), 0);
  await a.reload();
  await a.locator('.editor').waitFor();
  assert.match(await a.locator('.restore-note').innerText(), /restored/);
  assert.equal(await text(a), pasted);
  assert.equal(await a.locator('.notice.warning').filter({ hasText: /could not save/ }).count(), 0);
  assert.deepEqual(a.errors, []);
  await context.close();
});

test('garbage, truncated and oversized messages are rejected with a warning; the text is unchanged', async () => {
  const context = await browser.newContext();
  const room = unique('hostile');
  const a = await openTab(context, `#/lab/editor?room=${room}`);
  const b = await openTab(context, `#/lab/editor?room=${room}`);
  await ready([a, b]);
  await a.locator('textarea.doc').pressSequentially('safe');
  await until('B has safe', async () => ({ ok: (await text(b)) === 'safe' }));
  await a.evaluate((room) => {
    const ch = new BroadcastChannel(`chronoscope-editor:rga:${room}`);
    const op = JSON.stringify({ t: 'op', from: 5, to: 0, clock: [[5, 1]], op: { k: 'ins', id: [1, 5], after: null, ch: 'Z' } });
    ch.postMessage('garbage{');
    ch.postMessage(op.slice(0, op.length - 9)); // truncated
    ch.postMessage(`{"t":"hb","from":5,"to":0,"delivered":[],"hello":false,"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`); // oversized
    ch.postMessage(JSON.stringify({ t: 'op', from: 5, to: 0, clock: [[5, 1]], op: { k: 'ins', id: [1, 5], after: null, ch: 'ZZ' } }));
    ch.postMessage(JSON.stringify({ t: 'op', from: 6, to: 0, clock: [[6, 1]], op: { k: 'ins', id: [50, 6], after: [40, 9], ch: 'Q' } }));
    ch.postMessage({ not: 'a string' });
    ch.close();
  }, room);
  for (const p of [a, b]) {
    const notice = p.locator('.notice.rejected');
    await notice.waitFor();
    await until('six rejections', async () => {
      const n = Number((await p.locator('.rejected-count').innerText()).match(/\d+/)[0]);
      return { ok: n >= 6, n };
    });
    const warnings = await notice.innerText();
    assert.match(warnings, /malformed message/);
    assert.match(warnings, /oversized message/);
    assert.match(warnings, /unknown element/);
    assert.equal(await text(p), 'safe');
  }
  // The tabs still work.
  await b.locator('textarea.doc').press('End');
  await b.locator('textarea.doc').pressSequentially('!');
  await until('A has safe!', async () => ({ ok: (await text(a)) === 'safe!' }));
  assert.deepEqual(a.errors, []);
  await context.close();
});

test('naive mode (no CRDT) diverges under the same concurrent edits', async () => {
  const context = await browser.newContext();
  const room = unique('naive');
  const a = await openTab(context, `#/lab/editor?room=${room}&naive=1`);
  const b = await openTab(context, `#/lab/editor?room=${room}&naive=1`);
  await ready([a, b]);
  assert.match(await a.locator('.mode').innerText(), /naive/);
  await a.locator('textarea.doc').pressSequentially('ab');
  await until('B has ab', async () => ({ ok: (await text(b)) === 'ab' }));
  await hold(a, b);
  await hold(b, a);
  for (const [p, ch] of [[a, 'X'], [b, 'Y']]) {
    await p.locator('textarea.doc').evaluate((el) => { el.focus(); el.setSelectionRange(1, 1); });
    await p.keyboard.type(ch);
  }
  await hold(a, b);
  await hold(b, a);
  const done = await until('both have four characters', async () => {
    const t = [await text(a), await text(b)];
    return { ok: t.every((s) => s.length === 4), t };
  });
  assert.notEqual(done.t[0], done.t[1], 'naive replicas diverge');
  assert.deepEqual(done.t.sort(), ['aXYb', 'aYXb']);
  await context.close();
});
