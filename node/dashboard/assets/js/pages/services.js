// Services: every service with its status, replicas, escrow and, where the
// economy endpoints answer, its burn rate and how long its escrow lasts.

import { get } from '../api.js';
import { num, qc, badge, table, serviceLink, esc } from '../fmt.js';
import { sections, fill, heading } from '../view.js';
import { economics } from '../economy.js';

export function mount(main) {
  heading(main, 'Services', 'Every service on the chain. Open one to see its manifest, replicas, usage and logs.');
  const s = sections(main, [['list', '']]);
  return { refresh: () => refresh(s) };
}

// timeLeft says how long an escrow lasts at its burn rate.
export function timeLeft(econ) {
  if (!econ) return '—';
  if (econ.depleted) return '<span class="badge bad">depleted</span>';
  if (!econ.burning) return 'not burning';
  const h = Number(econ.hoursLeft || 0);
  const txt = h >= 48 ? Math.floor(h / 24) + ' days' : h >= 1 ? h.toFixed(1) + ' h' : Math.round(h * 60) + ' min';
  return econ.low ? `<span class="badge warn" title="escrow low">${esc(txt)}</span>` : esc(txt);
}

async function refresh(s) {
  const res = await get('v1/services');
  const list = res.services || [];
  const econ = await Promise.all(list.map((x) => economics(x.name).catch(() => null)));
  fill(s.list, table(
    ['service', 'status', 'version', 'replicas', 'escrow', 'burn per hour', 'time left', 'pending change'],
    list.map((x, i) => [
      serviceLink(x.name),
      badge(x.status),
      'v' + num(x.version),
      `<span data-k="replicas">${num(x.replicas)}</span>`,
      esc(qc(x.escrow, 2)),
      econ[i] ? esc(qc(econ[i].burnPerHour, 4)) : '—',
      timeLeft(econ[i]),
      x.pending_proposal ? `proposal #${num(x.pending_proposal)}` : '',
    ]),
    'No services yet: deploy one with q1 service deploy.',
    (i) => ` data-service="${esc(list[i].name)}"`,
  ) + `<p class="muted" data-k="services-total" data-v="${list.length}">${num(list.length)} service(s) at height ${num(res.height)}.</p>`);
}
