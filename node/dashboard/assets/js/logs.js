// A service's logs in the browser, for the viewers its manifest allows.
// Reading them needs a session: the page gets a one-time challenge from
// the node, the person signs it on their own machine with
// `q1 dashboard sign CHALLENGE --from KEY` and pastes the printed token.
// The node then sets an HttpOnly cookie; this page never sees a key.

import { get, send, text, enc, ApiError } from './api.js';
import { esc, short, when } from './fmt.js';

const MAX_LINES = 500;

export function mountLogs(el, service) {
  el.innerHTML = `
    <div class="signin"></div>
    <pre class="logs" data-k="logs" aria-live="polite" hidden></pre>
    <p class="logs-note muted"></p>`;
  const signin = el.querySelector('.signin');
  const pre = el.querySelector('.logs');
  const note = el.querySelector('.logs-note');
  let since = 0, lines = 0, session = null, checked = false, denied = '';

  async function checkSession() {
    try {
      session = await get('v1/auth/session');
    } catch {
      session = null;
    }
    checked = true;
    drawSignin();
  }

  function drawSignin(msg = '') {
    if (session) {
      signin.innerHTML = `<p>Signed in as <code title="${esc(session.account)}">${esc(short(session.account))}</code> until ${esc(when(session.expires))}. <button type="button" class="signout">Sign out</button></p>` +
        (denied ? `<p class="error denied">${esc(denied)}</p>` : '');
      signin.querySelector('.signout').addEventListener('click', async () => {
        await send('DELETE', 'v1/auth/session').catch(() => {});
        session = null; denied = ''; drawSignin();
      });
      return;
    }
    signin.innerHTML = `<p>Owners and the manifest's log viewers can read these logs after signing in with their key.
      <button type="button" class="start">Sign in with my key</button></p>${msg ? `<p class="error">${esc(msg)}</p>` : ''}`;
    signin.querySelector('.start').addEventListener('click', startSignin);
  }

  async function startSignin() {
    let c;
    try {
      c = await get('v1/auth/challenge');
    } catch (e) {
      drawSignin(e.message);
      return;
    }
    signin.innerHTML = `
      <ol class="steps">
        <li>On your own computer, where your key is, run:<pre class="cmd" data-k="signin-command">q1 dashboard sign ${esc(c.challenge)} --from KEY</pre>
            (KEY is your key's name in <code>q1 keys list</code>; add <code>--home</code> if you use one). The challenge works once, on this node only, until ${esc(when(c.expires))}.
            It signs you in to node <code data-k="signin-node">${esc(c.node)}</code> of chain <code data-k="signin-chain">${esc(c.chain)}</code>: the command prints both, check them.</li>
        <li>Paste the token it prints:<br><textarea class="token" rows="3" spellcheck="false" placeholder="q1token.…"></textarea></li>
      </ol>
      <p><button type="button" class="submit">Sign in</button> <button type="button" class="cancel">Cancel</button></p>
      <p class="error" hidden></p>`;
    const err = signin.querySelector('.error');
    signin.querySelector('.cancel').addEventListener('click', () => drawSignin());
    signin.querySelector('.submit').addEventListener('click', async () => {
      try {
        session = await send('POST', 'v1/auth/session', { token: signin.querySelector('.token').value.trim() });
        denied = '';
        drawSignin();
        await refresh();
      } catch (e) {
        err.hidden = false;
        err.textContent = e.message;
      }
    });
  }

  async function refresh() {
    if (!checked) await checkSession();
    let body;
    try {
      body = await text(`v1/services/${enc(service)}/logs?since=${since}`);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        const msg = e.status === 403 ? e.message : '';
        if (msg !== denied || (e.status === 401 && session)) {
          denied = msg;
          if (e.status === 401) session = null;
          if (!signin.querySelector('.token')) drawSignin();
        }
        note.textContent = '';
        return;
      }
      throw e;
    }
    if (denied) {
      denied = '';
      if (!signin.querySelector('.token')) drawSignin();
    }
    if (!session && !signin.querySelector('.token') && !signin.querySelector('.public')) {
      signin.innerHTML = '<p class="public muted">Anyone may read these logs (permissions.logViewers: public).</p>';
    }
    for (const l of body.split('\n')) {
      if (!l.trim()) continue;
      let e;
      try { e = JSON.parse(l); } catch { continue; }
      since = Math.max(since, Number(e.seq) + 1);
      const row = document.createElement('div');
      row.className = 'log-' + String(e.level || '').toLowerCase();
      row.textContent = `${when(e.time)}  ${short(e.node, 8, 4)}  ${short(e.version, 13, 0)}  ${String(e.level || '').padEnd(5)}  ${e.message}`;
      row.title = `node ${e.node}, code ${e.version}`;
      pre.appendChild(row);
      lines++;
    }
    pre.hidden = lines === 0;
    while (pre.childElementCount > MAX_LINES) pre.removeChild(pre.firstChild);
    note.textContent = lines
      ? `${lines} line(s) from the replica on this node, newest last. Replicas on other nodes keep their own lines: q1 service logs ${service} --from KEY reads them all.`
      : 'No log lines on this node yet. A node keeps the lines of the replicas it runs; q1 service logs ' + service + ' --from KEY reads every replica.';
  }

  return { refresh };
}
