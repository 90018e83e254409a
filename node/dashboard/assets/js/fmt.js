// Formatting for people: escaping, QCoin amounts, sizes, times, addresses.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// esc makes any value safe to put in HTML text or a quoted attribute.
export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}

// qc formats an amount of uqc (a decimal string, maybe with a fraction) as QC.
export function qc(uqc, digits = 6) {
  if (uqc === undefined || uqc === null || uqc === '') return '—';
  let s = String(uqc).replace(/uqc$/, '');
  let [int, frac = ''] = s.split('.');
  let neg = int.startsWith('-');
  if (neg) int = int.slice(1);
  int = int.replace(/^0+/, '') || '0';
  const padded = int.padStart(7, '0');
  let whole = padded.slice(0, -6).replace(/^0+/, '') || '0';
  let dec = (padded.slice(-6) + frac).slice(0, digits).replace(/0+$/, '');
  whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '−' : '') + whole + (dec ? '.' + dec : '') + ' QC';
}

// qcBrief formats an amount of uqc as QC with two decimals, or with all six
// when two would round a small non-zero amount away (204 uqc reads
// 0.000204 QC, never 0 QC).
export function qcBrief(uqc) {
  const n = Math.abs(Number(String(uqc ?? '').replace(/uqc$/, '')));
  return qc(uqc, n > 0 && n < 10000 ? 6 : 2);
}

// num formats an integer with thousands separators.
export function num(n) {
  if (n === undefined || n === null || n === '') return '—';
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// bytes formats a size in bytes with binary units.
export function bytes(n) {
  n = Number(n || 0);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(n >= 10 ? 0 : 1)) + ' ' + units[i];
}

// cpu formats milli-CPU as cores.
export function cpu(milli) {
  const m = Number(milli || 0);
  return m % 1000 === 0 ? (m / 1000) + ' cores' : (m / 1000).toFixed(2) + ' cores';
}

// pct is part/whole as a whole percentage.
export function pct(part, whole) {
  part = Number(part || 0); whole = Number(whole || 0);
  return whole ? Math.round((100 * part) / whole) + '%' : '—';
}

// ago says how long before now a time was.
export function ago(t) {
  if (!t) return '—';
  const s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
  if (s < 60) return s + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}

// when writes a time in UTC, to the second.
export function when(t) {
  if (!t) return '—';
  const d = new Date(t);
  return isNaN(d) ? esc(t) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

// short shortens a long address or hash, keeping both ends.
export function short(s, head = 10, tail = 6) {
  s = String(s ?? '');
  return s.length > head + tail + 1 ? s.slice(0, head) + '…' + (tail ? s.slice(-tail) : '') : s;
}

export const isAccount = (s) => /^q11[02-9ac-hj-np-z]{20,90}$/.test(String(s));
export const isValoper = (s) => /^q1valoper1[02-9ac-hj-np-z]{20,90}$/.test(String(s));
export const isTxHash = (s) => /^[0-9A-Fa-f]{64}$/.test(String(s));

// link returns an anchor to a dashboard page (#/…), text escaped.
export function link(hash, text, title) {
  return `<a href="#/${esc(hash)}"${title ? ` title="${esc(title)}"` : ''}>${esc(text)}</a>`;
}

export const accountLink = (a) => (a ? link('accounts/' + a, short(a), a) : '—');
export const sharerLink = (a) => (a ? link('sharers/' + a, short(a), a) : '—');
export const serviceLink = (n) => link('services/' + n, n);
export const txLink = (h) => link('txs/' + h, short(h, 8, 6), h);
export const blockLink = (h) => link('blocks/' + h, num(h));

// badge shows a status word, coloured by what it means.
export function badge(status) {
  const s = String(status || 'unknown').toLowerCase();
  const good = ['ok', 'active', 'serving', 'bonded', 'online', 'open', 'acked', 'approved', 'executed', 'activated'];
  const bad = ['offline', 'failed', 'deleted', 'jailed', 'closed', 'depleted', 'rejected', 'unbonded'];
  const cls = good.includes(s) ? 'good' : bad.includes(s) ? 'bad' : 'warn';
  return `<span class="badge ${cls}">${esc(s)}</span>`;
}

// table renders rows as an HTML table; cells are HTML already escaped.
export function table(headers, rows, empty = 'Nothing yet.', rowAttrs = () => '') {
  if (!rows.length) return `<p class="muted">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r, i) => `<tr${rowAttrs(i)}>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

// kv renders pairs as a definition list; values are HTML already escaped.
export function kv(pairs) {
  return '<dl class="kv">' + pairs.filter(Boolean).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('') + '</dl>';
}

// meter is a small bar showing used of total.
export function meter(used, total, label) {
  const p = Number(total) ? Math.min(100, (100 * Number(used)) / Number(total)) : 0;
  return `<span class="meter" title="${esc(label || '')}"><svg viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true"><rect width="100" height="6" class="meter-bg"/><rect width="${p.toFixed(1)}" height="6" class="meter-fg"/></svg> ${esc(label || '')}</span>`;
}

// proposer names a block's proposer (a consensus address) by its
// validator's moniker when the validator list has it.
export function proposer(consAddr, validators) {
  const v = (validators || []).find((x) => x.consensus_address === consAddr);
  return v ? `<span title="${esc(consAddr)}">${esc(v.moniker || short(v.operator))}</span>` : `<code title="${esc(consAddr)}">${esc(short(consAddr, 12, 6))}</code>`;
}
