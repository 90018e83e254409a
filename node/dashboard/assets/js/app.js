// The dashboard's entry point: routes #/… to a page, refreshes the page
// every 2 seconds without reloading, and keeps the header's live status.

import { get } from './api.js';
import { esc, num, ago, isAccount, isTxHash, isValoper } from './fmt.js';
import * as network from './pages/network.js';
import * as services from './pages/services.js';
import * as service from './pages/service.js';
import * as sharer from './pages/sharer.js';
import * as explorer from './pages/explorer.js';

export const POLL_MS = 2000;

// routes map the first part of #/… to a page module and its section name.
const routes = [
  [/^$/, network, 'network'],
  [/^services$/, services, 'services'],
  [/^services\/([^/]+)$/, service, 'services'],
  [/^sharers\/([^/]+)$/, sharer, 'network'],
  [/^explorer$/, explorer, 'explorer'],
  [/^blocks\/(\d+)$/, explorer, 'explorer', 'block'],
  [/^txs\/([0-9A-Fa-f]+)$/, explorer, 'explorer', 'tx'],
  [/^accounts\/([^/]+)$/, explorer, 'explorer', 'account'],
];

let current = null; // {page, timer, busy, gen}
let gen = 0;

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#\/?/, '')).replace(/\/$/, '');
  for (const [re, mod, nav, kind] of routes) {
    const m = path.match(re);
    if (m) return { mod, nav, params: { arg: m[1], kind } };
  }
  return null;
}

function show() {
  if (current) {
    clearInterval(current.timer);
    if (current.page && current.page.unmount) current.page.unmount();
  }
  const myGen = ++gen;
  const main = document.getElementById('page');
  const r = route();
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('on', r && a.dataset.nav === r.nav));
  if (!r) {
    main.innerHTML = `<h1>No such page</h1><p>The dashboard has no page at ${esc(location.hash)}. <a href="#/">Go to the network.</a></p>`;
    current = null;
    return;
  }
  main.innerHTML = '';
  const page = r.mod.mount(main, r.params);
  current = { page, timer: 0, busy: false };
  const tick = async () => {
    if (current.busy || myGen !== gen) return;
    current.busy = true;
    try {
      await page.refresh();
      if (myGen === gen) main.querySelectorAll('.page-error').forEach((e) => e.remove());
    } catch (e) {
      if (myGen === gen) pageError(main, e);
    } finally {
      if (current && myGen === gen) current.busy = false;
    }
  };
  tick();
  current.timer = setInterval(tick, POLL_MS);
}

function pageError(main, e) {
  let box = main.querySelector('.page-error');
  if (!box) {
    box = document.createElement('p');
    box.className = 'page-error error';
    main.prepend(box);
  }
  box.textContent = e.message;
}

// The header: height, chain id and whether the node answers.
async function live() {
  const el = document.getElementById('live');
  try {
    const s = await get('v1/status');
    el.className = 'live ok';
    el.innerHTML = `height <b data-k="live-height">${num(s.height)}</b> · block ${esc(ago(s.latest_block_time))}`;
    document.getElementById('chain-id').textContent = `Chain ${s.chain_id}, node ${s.moniker}.`;
  } catch (e) {
    el.className = 'live down';
    el.textContent = 'not reaching the node: ' + e.message;
  }
}

function search(ev) {
  ev.preventDefault();
  const q = document.getElementById('search-input').value.trim();
  if (!q) return;
  if (/^\d+$/.test(q)) location.hash = '#/blocks/' + q;
  else if (isTxHash(q)) location.hash = '#/txs/' + q.toUpperCase();
  else if (isAccount(q) || isValoper(q)) location.hash = '#/accounts/' + q;
  else location.hash = '#/services/' + q.toLowerCase();
}

window.addEventListener('hashchange', show);
document.getElementById('search').addEventListener('submit', search);
show();
live();
setInterval(live, POLL_MS);
