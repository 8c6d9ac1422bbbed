// End-to-end: the clock labs (Hybrid logical clocks, TrueTime & commit wait, Comparison) in
// headless Chromium, against the release build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const circles = (page) => page.locator('svg.spacetime circle.event');
const position = async (page) => (await page.locator('.pb-position').innerText()).match(/\d+/g).map(Number);
const badge = (page, name) => page.locator('.badge', { hasText: name });

// The values the HLC lab's table shows for one node (one round trip).
async function hlcRow(page, node) {
  return page.evaluate((node) => {
    const row = document.querySelector(`tr.hlc-row[data-node="${node}"]`);
    const num = (k) => (row.dataset[k] === '' ? null : Number(row.dataset[k]));
    return { pt: num('pt') ?? 0, l: num('l'), c: num('c') };
  }, node);
}

test('HLC lab: after "set A back 5 min" the physical clock goes back, the HLC never does', async () => {
  const page = await openPage(browser, '#/lab/hybrid-logical-clocks?seed=1&nodes=3&sends=6&jump_ms=0&jump_at=300');
  await page.locator('svg.spacetime').waitFor();
  // It plays on its own.
  const early = await circles(page).count();
  await page.waitForFunction((n) => document.querySelectorAll('svg.spacetime circle.event').length > n, early);
  await page.locator('.set-back').click();
  await page.waitForFunction(() => location.hash.includes('jump_ms=300000'));
  await page.locator('.undo-jump').waitFor();
  await page.locator('.pb-first').click();
  assert.equal(await circles(page).count(), 0);
  const [, total] = await position(page);
  let prev = await hlcRow(page, 'A');
  let wentBack = false;
  for (let i = 0; i < total; i++) {
    await page.locator('.pb-step').click();
    const now = await hlcRow(page, 'A');
    if (prev.pt && now.pt < prev.pt - 60_000) wentBack = true;
    if (prev.l !== null) {
      assert.ok(now.l > prev.l || (now.l === prev.l && now.c >= prev.c),
        `A's HLC went from ${prev.l}.${prev.c} to ${now.l}.${now.c} at step ${i + 1}`);
    }
    prev = now;
  }
  assert.equal(await circles(page).count(), total);
  assert.ok(wentBack, "A's physical clock reading never dropped by minutes");
  assert.ok(prev.l - prev.pt > 250_000, `l − pt at A is ${prev.l - prev.pt} ms`);
  assert.match(await badge(page, 'HLC never goes back').getAttribute('class'), /holds/);
  assert.match(await badge(page, 'physical clocks never go back').getAttribute('class'), /broken/);
  assert.match(await badge(page, 'l − pt ≤ ε').getAttribute('class'), /broken/);
  assert.equal(await page.locator('.plot canvas').count(), 2);
  assert.deepEqual(page.errors, []);
});

test('HLC lab: a node far ahead is refused by the max offset', async () => {
  const page = await openPage(browser, '#/lab/hybrid-logical-clocks?seed=1&ahead_ms=60000&max_offset=0');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  assert.match(await badge(page, 'l − pt ≤ ε').getAttribute('class'), /broken/);
  await page.locator('.set-max-offset').click();
  await page.waitForFunction(() => location.hash.includes('max_offset=500'));
  await page.locator('.pb-last').click();
  assert.match(await page.locator('.run-summary').innerText(), /[1-9]\d* stamps refused/);
  assert.match(await badge(page, 'l − pt ≤ ε').getAttribute('class'), /holds/);
  assert.deepEqual(page.errors, []);
});

test('TrueTime lab: the external-consistency badge turns red when commit wait is turned off', async () => {
  const page = await openPage(browser, '#/lab/true-time?seed=1&nodes=3&txns=10&wait=1&lat_max=3');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-first').click();
  await page.locator('.pb-step').click();
  assert.equal(await circles(page).count(), 1);
  await page.locator('.pb-last').click();
  assert.match(await badge(page, 'external consistency').getAttribute('class'), /holds/);
  assert.match(await badge(page, 'external consistency').innerText(), /\d+ pairs .* checked, 0 with/);
  assert.ok(await page.locator('svg.txn-timeline rect.commit-wait').count() >= 20);
  assert.equal(await page.locator('table.violations').count(), 0);

  await page.locator('input[name=wait]').uncheck();
  await page.waitForFunction(() => location.hash.includes('wait=0'));
  await page.locator('.pb-last').click();
  const ec = badge(page, 'external consistency');
  assert.match(await ec.getAttribute('class'), /broken/);
  const violations = page.locator('table.violations tr.violation-row');
  assert.ok(await violations.count() > 0);
  assert.ok(await page.locator('svg.txn-timeline g.txn.violation').count() > 0);
  await violations.first().click();
  assert.equal(await page.locator('svg.spacetime circle.selected').count(), 1);
  assert.equal(await page.locator('svg.spacetime circle.compared').count(), 1);
  // Back at the start no pair has been decided yet: the badge is green again.
  await page.locator('.pb-first').click();
  assert.match(await ec.getAttribute('class'), /holds/);
  assert.deepEqual(page.errors, []);
});

test('Comparison lab: physical LWW violates happens-before on a skewed run; vector clocks never disagree', async () => {
  const page = await openPage(browser, '#/lab/comparison?seed=1&nodes=3&actions=6&skew_ms=300&scheme=physical');
  await page.locator('svg.spacetime').waitFor();
  await page.locator('.pb-last').click();
  assert.match(await badge(page, 'physical (LWW) respects').getAttribute('class'), /broken/);
  for (const name of ['Lamport respects', 'vector clocks respects', 'HLC respects']) {
    assert.match(await badge(page, name).getAttribute('class'), /holds/, name);
  }
  const rows = page.locator('table.pairs tr.pair-row.violation');
  assert.ok(await rows.count() > 0);
  const first = rows.first();
  const [a, b] = [await first.getAttribute('data-a'), await first.getAttribute('data-b')];
  await first.click();
  assert.match(await page.locator(`svg.spacetime circle[data-event="${a}"]`).getAttribute('class'), /selected/);
  assert.match(await page.locator(`svg.spacetime circle[data-event="${b}"]`).getAttribute('class'), /compared/);
  // a happened before b, yet b's physical timestamp is not later.
  assert.match(await page.locator(`svg.spacetime circle[data-event="${b}"]`).getAttribute('class'), /future/);
  // The list is one tab stop (roving tabindex): ↓/↑/Home/End move it, Enter and Space select.
  const all = page.locator('table.pairs tr.pair-row');
  const n = await all.count();
  assert.ok(n >= 2, `${n} rows`);
  assert.equal(await page.locator('table.pairs tr.pair-row[tabindex="0"]').count(), 1);
  const focusedRow = () => page.evaluate(() => {
    const el = document.activeElement;
    return el?.matches('tr.pair-row') ? { row: Number(el.dataset.row), tab: el.getAttribute('tabindex'), a: el.dataset.a, b: el.dataset.b } : null;
  });
  const before = await position(page);
  // The clicked row took the focus; Home goes to the first row, ↓ to the next.
  await page.keyboard.press('Home');
  assert.equal((await focusedRow())?.row, 0);
  await page.keyboard.press('ArrowDown');
  assert.deepEqual(await focusedRow().then((r) => [r?.row, r?.tab]), [1, '0']);
  assert.equal(await page.locator('table.pairs tr.pair-row[tabindex="0"]').count(), 1);
  await page.keyboard.press('End');
  assert.equal((await focusedRow())?.row, n - 1);
  await page.keyboard.press('Home');
  assert.equal((await focusedRow())?.row, 0);
  await page.keyboard.press('ArrowDown');
  const second = await focusedRow();
  await page.keyboard.press('Enter');
  assert.match(await page.locator(`svg.spacetime circle[data-event="${second.a}"]`).getAttribute('class'), /selected/);
  assert.match(await page.locator(`svg.spacetime circle[data-event="${second.b}"]`).getAttribute('class'), /compared/);
  await page.keyboard.press('End');
  const last = await focusedRow();
  await page.keyboard.press(' ');
  assert.match(await page.locator(`svg.spacetime circle[data-event="${last.a}"]`).getAttribute('class'), /selected/);
  assert.deepEqual(await position(page), before, 'table keys are not playback shortcuts');
  // Tab leaves the table in one press.
  await page.keyboard.press('Tab');
  assert.equal(await focusedRow(), null);
  await page.locator('.scheme-vector').click();
  await page.waitForFunction(() => location.hash.includes('scheme=vector'));
  await page.locator('.pairs-empty').waitFor();
  assert.equal(await page.locator('tr.scheme-row[data-scheme="lamport"] td.violations').innerText(), '0');
  assert.deepEqual(page.errors, []);
});

test('clock labs clamp bad URL parameters with a visible note', async () => {
  for (const [hash, note] of [
    ['#/lab/hybrid-logical-clocks?nodes=99&jump_ms=abc', /nodes = 99 is out of range; using 6/],
    ['#/lab/true-time?wait=7&txns=900', /txns = 900 is out of range; using 30/],
    ['#/lab/comparison?scheme=sundial&skew_ms=-4', /scheme = "sundial"/],
  ]) {
    const page = await openPage(browser, hash);
    await page.locator('svg.spacetime').waitFor();
    assert.match(await page.locator('.notice[role=alert]').innerText(), note);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});
