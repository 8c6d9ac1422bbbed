// End-to-end: a lab used with the keyboard alone, from the page's body: Tab reaches the
// parameter form, the playback controls, the diagram (one tab stop; arrows move between its
// events) and the export buttons, and each works from the keys. Space or Enter on a focused button presses it once (it does not
// also play or pause), and keys typed into a text field are not playback shortcuts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Presses Tab until the focused element matches `selector` (bounded); returns how many.
async function tabTo(page, selector, max = 200) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i;
  }
  throw new Error(`Tab never reached ${selector}`);
}

const position = async (page) => (await page.locator('.pb-position').innerText()).match(/\d+/g).map(Number);
// Waits (bounded) until playback stands at `n`: a re-render may follow the key by a frame.
async function at(page, n) {
  await page.waitForFunction((n) =>
    Number(document.querySelector('.pb-position')?.textContent.match(/\d+/)[0]) === n, n, { timeout: 5000 });
}
const playing = async (page) => (await page.locator('.pb-toggle').getAttribute('aria-label')) === 'Pause';

test('keyboard only: the form, the playback controls, an event and the exports of a lab', async () => {
  const page = await openPage(browser, '#/lab/happens-before?seed=5&nodes=4&actions=6&lat_min=10&lat_max=80&loss=0');
  await page.locator('svg.spacetime').waitFor();
  await page.evaluate(() => document.activeElement?.blur());
  assert.equal(await page.evaluate(() => document.activeElement === document.body), true);

  // The form is folded behind one tab stop; Enter opens it, then type a new node count and
  // submit it with Enter.
  await tabTo(page, 'details.params-fold > summary');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('details.params-fold').open);
  await tabTo(page, 'form.params input[name=nodes]');
  const speed = await page.locator('.pb-speed').innerText();
  await page.keyboard.press('+'); // typed into the field: not "faster"
  await page.keyboard.press('End'); // moves the caret: not "go to end"
  assert.equal(await page.locator('.pb-speed').innerText(), speed);
  await page.keyboard.press('Control+A');
  await page.keyboard.type('3');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.includes('nodes=3'));
  await page.waitForFunction(() => /^3 nodes/.test(document.querySelector('.run-summary')?.textContent ?? ''));

  // Play/pause: Space on the focused button toggles exactly once.
  await tabTo(page, '.pb-toggle');
  const was = await playing(page);
  await page.keyboard.press(' ');
  await page.waitForFunction((was) =>
    (document.querySelector('.pb-toggle').getAttribute('aria-label') === 'Pause') !== was, was);
  if (await playing(page)) await page.keyboard.press(' ');
  assert.equal(await playing(page), false);
  // Shortcuts still work with the focus on a button.
  await page.keyboard.press('Home');
  await at(page, 0);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await at(page, 2);

  // Step forward: Enter, then Space, each press one step, and playback stays paused.
  await tabTo(page, '.pb-step');
  await page.keyboard.press('Enter');
  await at(page, 3);
  await page.keyboard.press(' ');
  await at(page, 4);
  assert.equal(await playing(page), false);

  // The scrub slider: Home, a step, End.
  await tabTo(page, '.pb-scrub');
  await page.keyboard.press('Home');
  await at(page, 0);
  await page.keyboard.press('ArrowRight');
  await at(page, 1);
  await page.keyboard.press('End');
  const [end, total] = await position(page);
  assert.ok(total > 0);
  assert.equal(end, total);

  // An event: Space selects it, without scrolling the page or starting playback.
  await tabTo(page, 'svg.spacetime circle.event');
  const event = await page.evaluate(() => document.activeElement.dataset.event);
  const scrollY = await page.evaluate(() => window.scrollY);
  await page.keyboard.press(' ');
  await page.waitForFunction((e) =>
    document.querySelector(`svg.spacetime circle[data-event="${e}"]`)?.classList.contains('selected'), event);
  assert.equal(await page.evaluate(() => window.scrollY), scrollY);
  assert.equal(await playing(page), false);
  assert.equal((await position(page))[0], total);
  // The diagram is one tab stop: → moves to the lane's next event (not the playback), and
  // Enter on it moves the selection.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((e) => document.activeElement?.dataset?.event !== e, event);
  const next = await page.evaluate(() => document.activeElement.dataset.event);
  assert.notEqual(next, event);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('tabindex')), '0');
  assert.equal((await position(page))[0], total, 'arrows in the diagram do not step the playback');
  await page.keyboard.press('Enter');
  await page.waitForFunction((e) =>
    document.querySelector(`svg.spacetime circle[data-event="${e}"]`)?.classList.contains('selected'), next);

  // The exports: Enter and Space each download one file.
  await tabTo(page, '.export-json');
  const [json] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.match(json.suggestedFilename(), /\.jsonl$/);
  assert.ok((await readFile(await json.path(), 'utf8')).trim().length > 0);
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'export-shiviz');
  const [log] = await Promise.all([page.waitForEvent('download'), page.keyboard.press(' ')]);
  assert.match(await readFile(await log.path(), 'utf8'), /^event: /m);
  assert.equal(await playing(page), false);
  assert.deepEqual(page.errors, []);
});

test('keyboard only: Escape closes the Labs menu and returns focus to its toggle', async () => {
  const page = await openPage(browser, '#/');
  await page.locator('details.lab-menu').waitFor();
  const open = () => page.evaluate(() => document.querySelector('details.lab-menu').open);
  const onToggle = () => page.evaluate(() => document.activeElement?.matches('details.lab-menu > summary') ?? false);
  await tabTo(page, 'details.lab-menu > summary');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('details.lab-menu').open);
  // From a lab link inside the open menu.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.matches('details.lab-menu nav a') ?? false), true);
  await page.keyboard.press('Escape');
  assert.equal(await open(), false);
  assert.equal(await onToggle(), true);
  // From the toggle itself.
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('details.lab-menu').open);
  await page.keyboard.press('Escape');
  assert.equal(await open(), false);
  assert.equal(await onToggle(), true);
  assert.deepEqual(page.errors, []);
  await page.close();
});
