// End-to-end: the Collaborative editor lab with real tabs. Pages of one browser context are
// tabs of one browser, so their BroadcastChannels reach each other — that is the network.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE_URL } from './helpers.mjs';

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
  await a.locator('.ctl-delay').fill('120');
  await a.locator('.ctl-delay').press('Enter');
  await b.locator('.ctl-dup').check();
  await c.locator('.ctl-drop').fill('30');
  await c.locator('.ctl-drop').press('Enter');
  await hold(a, c);
  const words = ['alpha', 'bravo', 'charlie'];
  await Promise.all(tabs.map((p, i) =>
    p.locator('textarea.doc').pressSequentially(words[i], { delay: 15 + Math.floor(Math.random() * 40) })));
  assert.match(await a.locator(`li.peer[data-peer="${await peerId(c)}"] button.hold`).innerText(), /Release link \(\d+ waiting\)/);
  await hold(a, c); // release
  await c.locator('.ctl-drop').fill('0');
  await c.locator('.ctl-drop').press('Enter');
  const total = words.join('').length;
  const done = await until('convergence', async () => {
    const texts = await Promise.all(tabs.map(text));
    return { ok: texts.every((t) => t === texts[0]) && texts[0].length === total, texts };
  });
  for (const w of words) assert.ok(isSubsequence(w, done.texts[0]), `${w} in ${done.texts[0]}`);
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
