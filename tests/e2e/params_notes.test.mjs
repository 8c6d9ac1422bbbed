// End-to-end: the notes and forms every lab derives from its core parameter spec.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const notice = async (page) => {
  const n = page.locator('.notice[role=alert]');
  return (await n.count()) ? n.first().innerText() : '';
};

test('a huge number is out of range, not "not a whole number"; garbage is not a number', async () => {
  const page = await openPage(browser, '#/lab/hybrid-logical-clocks?ahead_ms=99999999999999&sends=abc');
  await page.locator('svg.spacetime').waitFor();
  const text = await notice(page);
  assert.match(text, /ahead_ms = 99999999999999 is out of range; using 3600000/);
  assert.match(text, /sends = "abc" is not a whole number; using 10/);
  assert.doesNotMatch(text, /ahead_ms[^\n]*not a whole number/);
  assert.deepEqual(page.errors, []);
});

test('an unknown key is named with the key it resembles', async () => {
  const page = await openPage(browser, '#/lab/clock-drift?nodez=3');
  await page.locator('svg.spacetime').waitFor();
  assert.match(await notice(page), /nodez is not a parameter of this lab \(did you mean nodes\?\); ignored/);
});

test('notes speak only of keys the URL holds (a short round moves the default spread silently)', async () => {
  const page = await openPage(browser, '#/lab/byzantine-sync?round=100&rounds=5');
  await page.locator('.badges').waitFor();
  assert.doesNotMatch(await notice(page), /skew/);
  // The same constraint on a key the URL does hold is noted.
  const held = await openPage(browser, '#/lab/byzantine-sync?round=100&rounds=5&skew=90');
  await held.locator('.badges').waitFor();
  assert.match(await notice(held), /skew = 90/);
});

test('the form is drawn from the spec: switches are check boxes, choices are selects', async () => {
  const page = await openPage(browser, '#/lab/causal-broadcast');
  await page.locator('details.params-fold').waitFor();
  assert.equal(await page.locator('form.params input[type=checkbox][name=retransmit]').count(), 1);
  assert.equal(await page.locator('form.params select[name=crash] option').count(), 9);
  assert.equal(await page.locator('form.params input[type=number][name=nodes]').getAttribute('max'), '8');
  // The form is folded until its summary is opened; ticking a switch re-runs with it in the URL.
  assert.equal(await page.locator('form.params input[name=retransmit]').isVisible(), false);
  await page.locator('details.params-fold > summary').click();
  await page.locator('form.params input[name=retransmit]').check();
  await page.waitForFunction(() => location.hash.includes('retransmit=1'));
  assert.deepEqual(page.errors, []);
});
