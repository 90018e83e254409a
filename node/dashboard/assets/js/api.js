// Reading the node's /v1 API. Errors carry the API's own message.

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

async function errorOf(res, path) {
  let msg = res.status + ' ' + res.statusText;
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text);
    if (j && j.error) msg = j.error;
  } catch {
    if (text.trim()) msg = text.trim();
  }
  return new ApiError(res.status, msg, path);
}

// get reads one endpoint (path relative to the site root, e.g. "v1/status").
export async function get(path, opts = {}) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store', ...opts });
  } catch (e) {
    throw new ApiError(0, 'cannot reach this node (' + e.message + ')', path);
  }
  if (!res.ok) throw await errorOf(res, path);
  return res.json();
}

// maybe reads an endpoint that may not exist (yet): null on 404.
export async function maybe(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 501)) return null;
    throw e;
  }
}

// send posts or deletes JSON.
export async function send(method, path, body) {
  const res = await fetch(path, {
    method, credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await errorOf(res, path);
  return res.status === 204 ? null : res.json();
}

// text reads a plain-text (NDJSON) endpoint.
export async function text(path) {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw await errorOf(res, path);
  return res.text();
}

export const enc = encodeURIComponent;
