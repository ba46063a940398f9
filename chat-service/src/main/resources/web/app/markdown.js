// Answers as sanitized markdown (marked, DOMPurify, highlight.js), with copy buttons on code blocks.
import { marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import { copyText, el } from './util.js';

marked.setOptions({ gfm: true, breaks: false });

// Images in an answer: only data: and blob: ones are shown. Any other (markdown ![..](url) or <img>) becomes a link to
// it, so a model's answer (or a prompt injection in it) cannot make the browser fetch a URL, e.g. one that carries
// the chat in its query. Done inside DOMPurify, in its inert document, before any element exists in the page; the
// CSP (img-src 'self' data: blob:) would refuse the fetch anyway.
export const SHOWN_IMAGE = /^(data:image\/|blob:)/i;

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'IMG') return;
  const src = node.getAttribute('src') || '';
  if (SHOWN_IMAGE.test(src)) return;
  const doc = node.ownerDocument;
  const label = node.getAttribute('alt') || node.getAttribute('title') || src || 'image';
  let replacement;
  if (/^https?:/i.test(src)) {
    replacement = doc.createElement('a');
    replacement.setAttribute('href', src);
    replacement.setAttribute('class', 'image-link');
    replacement.setAttribute('title', 'Image not loaded: ' + src);
    replacement.textContent = '[image: ' + label + ']';
  } else {
    replacement = doc.createElement('span');
    replacement.setAttribute('class', 'image-link');
    replacement.textContent = '[image: ' + label + ']';
  }
  node.replaceWith(replacement);
});

export function renderMarkdown(target, text) {
  target.innerHTML = DOMPurify.sanitize(marked.parse(text || ''), { USE_PROFILES: { html: true } });
  target.querySelectorAll('pre > code').forEach((code) => {
    try { hljs.highlightElement(code); } catch (e) { /* unknown language: plain */ }
    const pre = code.parentElement;
    // the language the block is marked with (```python), else none
    const lang = ((code.className.match(/(?:^|\s)language-([\w+#.-]+)/) || [])[1] || '');
    if (lang) pre.prepend(el('span', { class: 'code-lang', text: lang }));
    const btn = el('button', { type: 'button', class: 'copy-block', 'aria-label': 'Copy code block', text: 'Copy' });
    btn.addEventListener('click', () => copyText(code.textContent, btn));
    pre.append(btn);
  });
  target.querySelectorAll('a').forEach((a) => { a.target = '_blank'; a.rel = 'noopener noreferrer'; });
}

