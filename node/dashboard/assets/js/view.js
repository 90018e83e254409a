// Building blocks of a page: titled sections that refresh in place.

import { esc } from './fmt.js';

// sections appends one <section> per [key, title] to main and returns the
// body element of each by key.
export function sections(main, list) {
  const out = {};
  for (const [key, title, note] of list) {
    const s = document.createElement('section');
    s.className = 'card sec-' + key;
    s.innerHTML = (title ? `<h2>${esc(title)}</h2>` : '') + (note ? `<p class="note">${esc(note)}</p>` : '') + '<div class="body"></div>';
    main.appendChild(s);
    out[key] = s.querySelector('.body');
  }
  return out;
}

// fill sets an element's HTML only when it changed, so polling does not
// reset hover, selection or scroll.
export function fill(el, html) {
  if (el && el.__html !== html) {
    el.innerHTML = html;
    el.__html = html;
  }
}

// heading sets the page's title line.
export function heading(main, html, sub) {
  const h = document.createElement('div');
  h.className = 'page-head';
  h.innerHTML = `<h1>${html}</h1>` + (sub ? `<p class="muted">${sub}</p>` : '');
  main.appendChild(h);
  return h;
}

// stat is one big number with a label; key names it for tests (data-k),
// value is the raw number (data-v).
export function stat(label, shown, key, value, hint) {
  return `<div class="stat"${hint ? ` title="${esc(hint)}"` : ''}><div class="stat-v" data-k="${esc(key)}" data-v="${esc(value ?? '')}">${shown}</div><div class="stat-l">${esc(label)}</div></div>`;
}
