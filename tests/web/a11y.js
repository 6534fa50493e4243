// The accessibility checks the browser tests run in each page (WCAG 2.1 AA criteria named in
// each message): labels, described-by targets, required marks, invalid fields tied to their
// error, skip link, one h1, table captions, alt text, fieldsets per concern, contrast >= 4.5:1.
() => {
  const problems = [];
  const lum = (rgb) => {
    const c = rgb.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const parse = (s) => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x)); return {rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1}; };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c.rgb; }
    return [255, 255, 255]; };
  if (!document.documentElement.lang) problems.push('3.1.1: no lang on <html>');
  const skip = document.querySelector('a.skip');
  if (!skip || !document.querySelector(skip.getAttribute('href'))) problems.push('2.4.1: no skip link to the content');
  if (document.querySelectorAll('h1').length !== 1) problems.push('1.3.1: not exactly one h1');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.getAttribute('aria-hidden') === 'true') continue;
    const label = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el.getAttribute('aria-label');
    if (!label) problems.push(`1.3.1/4.1.2: no label for ${el.name}`);
    for (const id of (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean))
      if (!document.getElementById(id)) problems.push(`1.3.1: ${el.name} described by missing #${id}`);
    if (el.required && el.getAttribute('aria-required') !== 'true' && el.closest('form[novalidate]'))
      problems.push(`3.3.2: ${el.name} required but not marked`);
    if (el.getAttribute('aria-invalid') === 'true' && !(el.getAttribute('aria-describedby') || '').includes('-error'))
      problems.push(`3.3.1: ${el.name} invalid without its error tied to it`);
  }
  for (const t of document.querySelectorAll('table')) if (!t.querySelector('caption')) problems.push('1.3.1: a table without a caption');
  for (const i of document.querySelectorAll('img')) if (!i.getAttribute('alt')) problems.push('1.1.1: an image without alt text');
  for (const f of document.querySelectorAll('.concern-row')) if (f.tagName !== 'FIELDSET' || !f.querySelector('legend')) problems.push('1.3.1: a concern row without fieldset and legend');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none' || el.offsetParent === null && st.position !== 'fixed') continue;
    if (el.closest('.visually-hidden, .skip, option')) continue;
    const fg = parse(st.color); if (!fg) continue;
    const L1 = lum(fg.rgb), L2 = lum(background(el));
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    if (ratio < 4.5) problems.push(`1.4.3: contrast ${ratio.toFixed(2)} for "${walker.currentNode.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}
