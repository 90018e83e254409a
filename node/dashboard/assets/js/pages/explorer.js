// Chain explorer: recent blocks and their transactions, a block, a
// transaction by hash, an account by address; events decoded for people.

import { get, maybe, enc } from '../api.js';
import { esc, num, qc, table, kv, when, ago, blockLink, txLink, short, badge, link, sharerLink, proposer } from '../fmt.js';
import { sections, fill, heading } from '../view.js';
import { eventsView, messageView } from '../events.js';

export function mount(main, { arg, kind }) {
  if (kind === 'block') return blockPage(main, Number(arg));
  if (kind === 'tx') return txPage(main, arg);
  if (kind === 'account') return accountPage(main, arg);
  heading(main, 'Explorer', 'Recent blocks and their transactions. Search above by height, tx hash or address.');
  const s = sections(main, [['blocks', 'Recent blocks'], ['txs', 'Recent transactions']]);
  return { refresh: () => recent(s) };
}

async function recent(s) {
  const [b, vals] = await Promise.all([get('v1/blocks?limit=30'), get('v1/validators')]);
  const blocks = b.blocks || [];
  fill(s.blocks, table(['height', 'time', 'txs', 'size', 'proposer', 'hash'],
    blocks.map((x) => [blockLink(x.height), `<span title="${esc(when(x.time))}">${esc(ago(x.time))}</span>`, num(x.num_txs), x.size_bytes ? num(x.size_bytes) + ' B' : '—',
      proposer(x.proposer, vals.validators), `<code>${esc(short(x.hash, 10, 6))}</code>`]),
    'No blocks yet.', (i) => ` data-height="${esc(blocks[i].height)}"`));
  const txs = blocks.flatMap((x) => (x.tx_hashes || []).map((h) => [txLink(h), blockLink(x.height), esc(ago(x.time))]));
  fill(s.txs, table(['tx', 'block', 'time'], txs, 'No transactions in these blocks.'));
}

// feeOf is the tx's fee: the API's field, else the tx event's.
function feeOf(tx) {
  if (tx.fee) return tx.fee;
  for (const e of tx.events || []) {
    if (e.type !== 'tx') continue;
    const a = (e.attributes || []).find((x) => x.key === 'fee');
    if (a) return a.value || '0uqc';
  }
  return '';
}

function txView(tx) {
  const fee = feeOf(tx);
  const msgs = tx.messages || [];
  return kv([
    ['hash', `<code>${esc(tx.hash)}</code>`],
    ['result', tx.code === 0 ? badge('ok') + ' succeeded' : `${badge('failed')} code ${num(tx.code)} (${esc(tx.codespace)}): ${esc(tx.log)}`],
    ['block', `${blockLink(tx.height)} at ${esc(when(tx.timestamp))}`],
    ['fee', esc(fee ? qc(String(fee).replace(/uqc$/, '')) : '—') + ` · gas ${num(tx.gas_used)} used of ${num(tx.gas_wanted)}`],
    tx.memo ? ['memo', esc(tx.memo)] : null,
  ]) + (msgs.length ? '<h3>Messages</h3>' + msgs.map(messageView).join('') : '') + '<h3>What happened</h3>' + eventsView(tx.events);
}

function blockPage(main, height) {
  heading(main, `Block <span data-k="block-height">${num(height)}</span>`, `<a href="#/blocks/${height - 1}">← previous</a> · <a href="#/blocks/${height + 1}">next →</a>`);
  const s = sections(main, [['block', ''], ['txs', 'Transactions'], ['events', 'Block events', 'What the chain did by itself at the start and end of the block.']]);
  let done = false;
  return {
    refresh: async () => {
      if (done) return; // a committed block does not change
      const [b, vals] = await Promise.all([get(`v1/blocks/${height}`), get('v1/validators')]);
      fill(s.block, kv([
        ['time', `${esc(when(b.time))} (${esc(ago(b.time))})`],
        ['hash', `<code>${esc(b.hash)}</code>`],
        ['app hash', `<code>${esc(b.app_hash)}</code>`],
        ['proposer', proposer(b.proposer, vals.validators) + ` <code class="muted">${esc(b.proposer)}</code>`],
        ['transactions', num(b.num_txs)],
      ]));
      fill(s.txs, (b.txs || []).length ? (b.txs || []).map((t) => `<div class="tx"><h3>${txLink(t.hash)}</h3>${txView(t)}</div>`).join('') : '<p class="muted">No transactions in this block.</p>');
      fill(s.events, eventsView(b.events));
      done = true;
    },
  };
}

function txPage(main, hash) {
  heading(main, 'Transaction', `<code>${esc(hash)}</code>`);
  const s = sections(main, [['tx', '']]);
  let done = false;
  return {
    refresh: async () => {
      if (done) return;
      const tx = await maybe(`v1/txs/${enc(hash)}`);
      if (!tx) {
        fill(s.tx, '<p>This node knows no committed transaction with that hash (yet). The page keeps looking.</p>');
        return;
      }
      fill(s.tx, txView(tx));
      done = true;
    },
  };
}

function accountPage(main, address) {
  heading(main, 'Account', `<code>${esc(address)}</code>`);
  const s = sections(main, [['account', ''], ['roles', 'Roles']]);
  return {
    refresh: async () => {
      if (address.startsWith('q1valoper1')) {
        // A validator's operator address: show the account behind it.
        const v = ((await get('v1/validators')).validators || []).find((x) => x.operator === address);
        if (!v) throw new Error(`no validator with operator address ${address}`);
        location.replace('#/accounts/' + v.account);
        return;
      }
      const [a, sh, vals] = await Promise.all([get(`v1/accounts/${enc(address)}`), maybe(`v1/sharers/${enc(address)}`), get('v1/validators')]);
      fill(s.account, kv([
        ['balance', `<span data-k="balance" data-v="${esc(a.balance)}">${esc(qc(a.balance))}</span>`],
        ['on chain', a.exists ? `yes, account number ${num(a.account_number)}, ${num(a.sequence)} tx(s) signed` : 'not yet: it has never received or sent anything'],
        ['as of block', num(a.height)],
      ]));
      const v = (vals.validators || []).find((x) => x.account === address || x.operator === address);
      fill(s.roles, kv([
        ['sharer', sh ? `${sharerLink(address)} ${badge(sh.status)}, ${num(sh.lease_count)} open lease(s)` : 'no'],
        ['validator', v ? `${esc(v.moniker)} ${badge(v.jailed ? 'jailed' : v.status)}, stake ${esc(qc(v.tokens, 2))}` : 'no'],
        ['services', link('services', 'see the services list') + ' <span class="muted">(owners are listed on each service page)</span>'],
      ]));
    },
  };
}
