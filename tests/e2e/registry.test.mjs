// End-to-end: walks the lab registry as the home page lists it (no slug is written here, so a
// new lab is walked as soon as it is registered). For each lab, in one page moved by fragment
// navigation: the run plays to its end with a non-zero number of events, the ShiViz, JSON and
// Mermaid exports download that run, a reload of the same URL draws the same events in the
// same order, and nothing is logged as an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The one lab without a run by default, so with nothing to draw or export until a person
// acts: the collaborative editor (its events are typed by peers in other tabs; editor.test.mjs
// tests it). Here it is only checked to open cleanly. The trace visualizer is walked: it draws
// its example log whole, without playback controls.
const NO_DEFAULT_RUN = new Set(['#/lab/editor']);

// Every event the diagram draws, in event order, by its accessible name.
const eventLabels = (page) => page.evaluate(() =>
  [...document.querySelectorAll('svg.spacetime circle.event')]
    .sort((a, b) => Number(a.dataset.event) - Number(b.dataset.event))
    .map((c) => c.getAttribute('aria-label')));

// Plays to the end (the playback's "go to end") and returns [position, total]; a lab that
// shows its whole run at once (no playback controls) is at its end already.
async function toEnd(page) {
  await page.locator('svg.spacetime').first().waitFor();
  if (await page.locator('.pb-last').count() === 0) {
    const label = await page.locator('svg.spacetime').first().getAttribute('aria-label');
    const [shown, total] = label.match(/(\d+) of (\d+) events shown/).slice(1).map(Number);
    return [shown, total];
  }
  await page.locator('.pb-last').first().click();
  const text = await page.locator('.pb-position').first().innerText();
  return text.match(/\d+/g).map(Number);
}

async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(selector).first().click()]);
  return { name: file.suggestedFilename(), text: await readFile(await file.path(), 'utf8') };
}

test('every lab on the home page plays a non-empty run, exports it, and draws it the same twice', async () => {
  const page = await openPage(browser, '#/');
  await page.locator('.lab-list a').first().waitFor();
  const links = await page.locator('.lab-list a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.length >= 10, `the home page lists ${links.length} labs`);
  assert.equal(new Set(links).size, links.length, 'a lab is listed twice');
  for (const href of NO_DEFAULT_RUN) assert.ok(links.includes(href), `${href} is no longer on the home page`);
  let walked = 0;
  for (const href of links) {
    const at = `${href}: `;
    // Fragment navigation: the same page, the app's router.
    await page.goto(BASE_URL + href);
    await page.locator('main section').first().waitFor();
    assert.equal(await page.locator('#panic').count(), 0, at + 'internal error');
    if (NO_DEFAULT_RUN.has(href)) {
      assert.deepEqual(page.errors, [], at + 'errors');
      continue;
    }
    const [position, total] = await toEnd(page);
    assert.ok(total > 0, at + 'the run has no events');
    assert.equal(position, total, at + 'End did not reach the end');
    assert.equal(await page.locator('svg.spacetime').first().getAttribute('data-shown'), String(total), at + 'shown');
    // Large runs draw only the events near the visible window: all of them, or at least some.
    const labels = await eventLabels(page);
    assert.ok(labels.length > 0 && labels.length <= total, at + `${labels.length} circles for ${total} events`);
    if (total <= 1000) assert.equal(labels.length, total, at + 'circles drawn');
    assert.ok(labels.every((l) => /^event \d+ at \S+/.test(l)), at + labels.find((l) => !/^event \d+ at/.test(l)));

    const shiviz = await download(page, '.export-shiviz');
    assert.match(shiviz.name, /\.log$/, at + shiviz.name);
    assert.doesNotMatch(shiviz.text, /cannot be exported/, at + shiviz.text.slice(0, 200));
    assert.equal((shiviz.text.match(/^event: /gm) ?? []).length, total, at + 'ShiViz events');
    const json = await download(page, '.export-json');
    const lines = json.text.split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length >= total, at + `JSON lines: ${lines.length} for ${total} events`);
    for (const line of lines) JSON.parse(line);
    const mermaid = await download(page, '.export-mermaid');
    assert.match(mermaid.text, /^graph TD\n/, at + 'Mermaid');
    assert.equal((mermaid.text.match(/\["Node /g) ?? []).length, total, at + 'Mermaid nodes');

    // The same URL, loaded again from scratch, draws the same run.
    const url = page.url();
    await page.reload();
    assert.equal(page.url(), url);
    const [, again] = await toEnd(page);
    assert.equal(again, total, at + 'event count after a reload');
    assert.deepEqual(await eventLabels(page), labels, at + 'events after a reload');
    assert.deepEqual(page.errors, [], at + 'errors');
    walked += 1;
  }
  assert.equal(walked, links.length - NO_DEFAULT_RUN.size);
});
