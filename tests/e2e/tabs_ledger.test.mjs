// End-to-end: the Chronos ledger's real-tabs mode. Pages of one browser context are tabs of
// one browser, so their BroadcastChannels reach each other. Timing bounds are generous (CI
// runs on two busy cores); the lease is 2 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, BASE_URL } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const unique = (name) => `${name}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;

async function openTab(context, hash) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.errors = errors;
  await page.goto(BASE_URL + hash);
  await page.locator('.tabs-ledger').waitFor();
  return page;
}

async function until(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last.ok) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

const attr = (page, name) => page.locator('.tabs-ledger').getAttribute(`data-${name}`);
const views = (tabs) => Promise.all(tabs.map(async (p) => ({
  seat: await attr(p, 'seat'),
  leader: await attr(p, 'leader'),
  token: Number(await attr(p, 'token')),
  leading: (await attr(p, 'leading')) === 'true',
  frozen: (await attr(p, 'frozen')) === 'true',
  log: await attr(p, 'log'),
  committed: Number(await attr(p, 'committed')),
  rejected: Number(await attr(p, 'rejected')),
  refused: Number(await attr(p, 'refused')),
  backup: await attr(p, 'backup'),
  restored: await attr(p, 'restored'),
})));

async function append(page, value) {
  const input = page.locator('.tabs-ledger input.append-value');
  await input.fill(String(value));
  await input.press('Enter');
}

const agree = (vs, n) => vs.every((v) => v.committed === n && v.log === vs[0].log);

test('three tabs: a leader by majority lease; the frozen leader is fenced off, the logs agree; a new tab reboots from a snapshot; garbage is refused', async () => {
  const context = await browser.newContext();
  const room = unique('ledger');
  const hash = `#/lab/ledger?mode=tabs&room=${room}&seats=3`;
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await openTab(context, hash));
  for (const p of tabs) await p.locator('.tabs-ledger[data-standing=seated]').waitFor({ timeout: 15000 });
  const seats = (await views(tabs)).map((v) => v.seat);
  assert.deepEqual([...seats].sort(), ['A', 'B', 'C'], `seats ${seats}`);

  // One leader, known to every tab.
  const elected = await until('one leader known everywhere', async () => {
    const vs = await views(tabs);
    return { ok: vs.filter((v) => v.leading).length === 1 && vs.every((v) => v.leader === vs[0].leader && v.leader), vs };
  });
  const leaderSeat = elected.vs[0].leader;
  const token = elected.vs[0].token;
  const leader = tabs[seats.indexOf(leaderSeat)];
  const others = tabs.filter((p) => p !== leader);

  // Appends from every tab are committed in one order everywhere.
  for (let k = 0; k < 3; k++) await append(tabs[k], 10 + k);
  await append(tabs[0], 13);
  await until('4 entries committed in every tab, one log', async () => {
    const vs = await views(tabs);
    return { ok: agree(vs, 4), vs };
  });

  // The leader appends, then freezes for 6 s: three leases.
  await append(leader, 20);
  await leader.locator('.tabs-ledger input.freeze-seconds').fill('6');
  const frozenAt = Date.now();
  await leader.locator('.tabs-ledger input.freeze-seconds').press('Enter');
  assert.equal(await attr(leader, 'frozen'), 'true');
  const takeover = await until('another tab takes the lease with a higher token', async () => {
    const vs = await views(others);
    return { ok: vs.some((v) => v.leading && v.token > token) && vs.every((v) => v.token > token), vs };
  }, 12000);
  console.log(`while the leader was frozen, ${takeover.vs.find((v) => v.leading).seat} took the lease under token ${takeover.vs[0].token} after ${Date.now() - frozenAt} ms`);
  // The frozen tab still believes it leads.
  assert.equal(await attr(leader, 'leading'), 'true');
  await append(others[0], 21);
  await append(others[1], 22);

  // On waking, it ships under its old token: refused by fencing, and shown.
  const woke = await until('the stale shipment refused in the other tabs', async () => {
    const vs = await views(others);
    return { ok: vs.every((v) => v.rejected >= 1) && (await attr(leader, 'frozen')) === 'false', vs };
  }, 15000);
  const newToken = woke.vs[0].token;
  for (const p of others) {
    assert.match(await p.locator('.tabs-ledger .rejections').innerText(), new RegExp(`REJECTED: token ${token} < ${newToken}`));
  }
  const final = await until('all three tabs agree on 7 committed entries under the new token', async () => {
    const vs = await views(tabs);
    return { ok: agree(vs, 7) && vs.every((v) => v.token === newToken), vs };
  }, 15000);
  for (const value of [10, 11, 12, 13, 20, 21, 22]) assert.match(final.vs[0].log, new RegExp(`=${value}( |$)`));
  assert.equal(await attr(leader, 'leading'), 'false');

  // A snapshot from one tab: every tab saves its part.
  await others[1].locator('.tabs-ledger button.snapshot').click();
  const backed = await until('every tab holds a part of the snapshot', async () => {
    const vs = await views(tabs);
    return { ok: vs.every((v) => v.backup && v.backup === vs[0].backup), vs };
  });
  const snapshot = backed.vs[0].backup;

  // Close a follower's tab; a new tab takes its seat, reboots from the saved part, catches up.
  const current = await views(tabs);
  const followerIndex = current.findIndex((v) => !v.leading && tabs[current.indexOf(v)] !== leader);
  const closed = tabs[followerIndex];
  const closedSeat = current[followerIndex].seat;
  await closed.close({ runBeforeUnload: true });
  tabs.splice(followerIndex, 1);
  await append(tabs[0], 30);
  const fresh = await openTab(context, hash);
  await fresh.locator('.tabs-ledger[data-standing=seated]').waitFor({ timeout: 20000 });
  assert.equal(await attr(fresh, 'seat'), closedSeat);
  assert.equal(await attr(fresh, 'restored'), snapshot);
  tabs.push(fresh);
  await until('the new tab caught up: 8 entries everywhere', async () => {
    const vs = await views(tabs);
    return { ok: agree(vs, 8), vs };
  }, 15000);

  // A fourth page posts garbage and forgeries on the room's channel: refused and counted.
  const rogue = await context.newPage();
  await rogue.goto(BASE_URL + '#/');
  const channel = `chronoscope-tabs:ledger:${room}:3`;
  const before = await views(tabs);
  await rogue.evaluate((name) => {
    const ch = new BroadcastChannel(name);
    const junk = [
      'not json',
      { an: 'object' },
      '{"k":"msg","seat":0,"token":12345,"to":1,"m":{"ack":{"t":999,"len":5}}}',
      '{"k":"msg","seat":1,"token":1,"to":7,"m":{}}',
      'x'.repeat(3 * 1024 * 1024),
    ];
    for (const j of junk) ch.postMessage(j);
    ch.close();
  }, channel);
  await until('the garbage refused and counted in every tab', async () => {
    const vs = await views(tabs);
    return { ok: vs.every((v, i) => v.refused >= before[i].refused + 4), vs };
  });
  await append(tabs[1], 31);
  await until('the room still works: 9 entries, one log', async () => {
    const vs = await views(tabs);
    return { ok: agree(vs, 9), vs };
  });
  for (const p of tabs) assert.deepEqual(p.errors, []);
  await context.close();
});
