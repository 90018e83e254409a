// Events and messages decoded for people: a sentence for the common ones,
// the attributes laid out for the rest.

import { esc, qc, accountLink, isAccount, short } from './fmt.js';

// words turns "EventServiceCreated" or "create_validator" into "service created".
export function words(s) {
  return String(s || '')
    .replace(/^Event/, '').replace(/^Msg/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_.]/g, ' ')
    .trim().toLowerCase();
}

function value(v) {
  v = String(v ?? '');
  if (/^["[{]/.test(v)) {
    try { const j = JSON.parse(v); v = typeof j === 'string' ? j : JSON.stringify(j); } catch { /* keep as is */ }
  }
  return v;
}

// show renders one attribute value: addresses as links, uqc amounts in QC.
export function show(v) {
  v = value(v);
  if (isAccount(v)) return accountLink(v);
  const m = v.match(/^(\d+)uqc$/);
  if (m) return esc(qc(m[1]));
  if (/^[0-9A-F]{64}$/.test(v)) return `<code title="${esc(v)}">${esc(short(v, 10, 6))}</code>`;
  return esc(v.length > 200 ? v.slice(0, 200) + '…' : v);
}

const attrs = (e) => Object.fromEntries((e.attributes || []).map((a) => [a.key, a.value]));

// sentence says what one event means, or null when it has no sentence.
export function sentence(e) {
  const a = attrs(e);
  switch (e.type) {
    case 'transfer': return `${show(a.sender)} sent ${show(a.amount)} to ${show(a.recipient)}`;
    case 'tx': return a.fee !== undefined ? `fee ${show(a.fee || '0uqc')} paid by ${show(a.fee_payer)}` : null;
    case 'message': return a.action ? `message ${esc(words(String(a.action).split('.').pop()))}${a.sender ? ' from ' + show(a.sender) : ''}` : null;
    case 'delegate': return `${show(a.delegator)} staked ${show(a.amount)} with ${show(a.validator)}`;
    case 'unbond': return `${show(a.delegator)} started unbonding ${show(a.amount)} from ${show(a.validator)}`;
    case 'create_validator': return `new validator ${show(a.validator)} with ${show(a.amount)}`;
    case 'burn': return `${show(a.burner)} burned ${show(a.amount)}`;
    default: return null;
  }
}

// noisy events repeat what a sentence already says.
const noisy = new Set(['coin_spent', 'coin_received', 'commission', 'rewards', 'mint', 'proposer_reward']);

// eventsView renders events: sentences first, then our typed events with
// their attributes, the bookkeeping ones folded away.
export function eventsView(events) {
  if (!events || !events.length) return '<p class="muted">No events.</p>';
  const out = [], quiet = [];
  for (const e of events) {
    const s = sentence(e);
    if (s) { out.push(`<li>${s}</li>`); continue; }
    const line = `<li><b>${esc(title(e.type))}</b> ${(e.attributes || []).filter((x) => x.key !== 'msg_index' && x.key !== 'mode').map((x) => `<span class="attr">${esc(words(x.key))}: ${show(x.value)}</span>`).join(' ')}</li>`;
    (noisy.has(e.type) || e.type === 'tx' || e.type === 'message' ? quiet : out).push(line);
  }
  return `<ul class="events">${out.join('')}</ul>` + (quiet.length ? `<details><summary>${quiet.length} bookkeeping event(s)</summary><ul class="events">${quiet.join('')}</ul></details>` : '');
}

// title names an event type: "q1.services.v1.EventServiceCreated" → "services: service created".
export function title(type) {
  const parts = String(type).split('.');
  if (parts.length > 2) return `${parts[1]}: ${words(parts[parts.length - 1])}`;
  return words(type);
}

// messageView renders one tx message: its kind and its fields.
export function messageView(m) {
  const type = String(m['@type'] || 'message');
  const name = type.split('.').pop();
  const fields = Object.entries(m).filter(([k]) => k !== '@type').map(([k, v]) => {
    let shown;
    if (Array.isArray(v) && v.every((c) => c && c.denom)) shown = v.map((c) => (c.denom === 'uqc' ? esc(qc(c.amount)) : esc(c.amount + c.denom))).join(', ');
    else if (v && typeof v === 'object' && v.denom) shown = v.denom === 'uqc' ? esc(qc(v.amount)) : esc(v.amount + v.denom);
    else if (typeof v === 'object') shown = `<code>${esc(JSON.stringify(v).slice(0, 300))}</code>`;
    else shown = show(typeof v === 'string' ? v : String(v));
    return `<span class="attr">${esc(words(k))}: ${shown}</span>`;
  });
  return `<div class="msg"><b>${esc(words(name))}</b> <span class="muted">${esc(type)}</span><br>${fields.join(' ')}</div>`;
}
