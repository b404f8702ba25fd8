/* Suyuan consumer trace page (docs/resolver.md). Reads the product key from
 * its own URL (a GS1 Digital Link path, or ?id=), fetches /v1/product,
 * renders the timeline FROM the signed payloads (SyVerify), verifies, and
 * leaves the outcome in document.body.dataset.verify ("pass" | "fail" |
 * "unsupported") for people and machines alike. No framework, no CDN. */
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const TEXT = window.SY_TEXT;
  const asked = new URLSearchParams(location.search).get('lang');
  let lang = (asked === 'zh' || asked === 'en') ? asked : (localStorage.getItem('sy-lang') ||
    ((navigator.language || 'zh').toLowerCase().startsWith('zh') ? 'zh' : 'en'));
  let view = null, result = null;

  function t(key, vars) {
    let s = (TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || key;
    for (const k in (vars || {})) s = s.replace('{' + k + '}', vars[k]);
    return s;
  }
  function term(group, word) {
    if (!word) return '';
    const g = TEXT[lang][group] || {};
    return g[word] || word.replace(/_/g, ' ');
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in (attrs || {})) {
      if (k === 'class') e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids) if (c != null && c !== '') e.append(c); /* text nodes only: no innerHTML */
    return e;
  }
  function show(id, on) { $(id).hidden = !on; }

  function setLang(l) {
    lang = l;
    try { localStorage.setItem('sy-lang', l); } catch (e) { /* private mode */ }
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    $('lang-zh').setAttribute('aria-pressed', String(l === 'zh'));
    $('lang-en').setAttribute('aria-pressed', String(l === 'en'));
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    document.title = t('title');
    if (view) render();
  }

  /* The key: the page's own path when it is a Digital Link, else ?id=. */
  function productId() {
    const p = location.pathname;
    if (/^\/(00|01|253|255|401|402|414|417|8003|8004|8006|8010|8013|8017|8018)\//.test(p)) {
      /* Keep the GS1 data attributes (numeric keys) of the query, nothing else. */
      const q = new URLSearchParams();
      for (const [k, v] of new URLSearchParams(location.search)) if (/^[0-9]{2,4}$/.test(k)) q.append(k, v);
      const qs = q.toString();
      return p + (qs ? "?" + qs : "");
    }
    return new URLSearchParams(location.search).get('id');
  }

  /* A time as it was where it happened: in the event's own UTC offset
   * (eventTimeZoneOffset, else the offset written in the time itself). */
  function fmtTime(iso, tz) {
    const d = new Date(iso);
    if (isNaN(d)) return iso || '';
    const m = /([+-])(\d\d):(\d\d)$/.exec(tz || '') || /([+-])(\d\d):(\d\d)$/.exec(iso || '');
    const loc = lang === 'zh' ? 'zh-CN' : 'en-GB';
    if (!m) return d.toLocaleString(loc, { dateStyle: 'medium', timeStyle: 'short' });
    const off = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
    const shifted = new Date(d.getTime() + off * 60000);
    return shifted.toLocaleString(loc, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) +
      ' (UTC' + m[1] + m[2] + ':' + m[3] + ')';
  }
  function shortId(s) {
    if (!s) return '';
    const m = /^urn:epc:id:sgln:(.*)$/.exec(s);
    return m ? 'GLN ' + m[1] : s;
  }

  function phaseOf(kind, ev) {
    const step = window.SyVerify.cbvWord(ev && ev.bizStep) || '';
    if (kind === 'material') return 'origin';
    if (kind === 'container') return 'distribution';
    if (['inspecting', 'sampling'].includes(step)) return 'inspection';
    if (['retail_selling', 'stocking'].includes(step)) return 'retail';
    if (['shipping', 'receiving', 'transporting', 'departing', 'arriving', 'storing', 'loading',
      'unloading', 'accepting', 'picking', 'staging_outbound', 'holding'].includes(step)) return 'distribution';
    if (['commissioning', 'transforming', 'creating_class_instance', 'packing', 'encoding',
      'assembling', 'repairing'].includes(step)) return 'processing';
    if (step === 'harvesting') return 'origin';
    return 'other';
  }

  function epcsOf(ev) {
    const out = [];
    for (const k of ['epcList', 'inputEPCList', 'outputEPCList', 'childEPCs'])
      for (const x of ev[k] || []) out.push(x);
    if (ev.parentID) out.push(ev.parentID);
    for (const k of ['quantityList', 'inputQuantityList', 'outputQuantityList', 'childQuantityList'])
      for (const q of ev[k] || []) out.push(q.epcClass + (q.quantity != null ? ' × ' + q.quantity + (q.uom ? ' ' + q.uom : '') : ''));
    return out;
  }

  function ilmdText(ev) {
    const parts = [];
    for (const [k, v] of Object.entries(ev.ilmd || {})) {
      const name = k.replace(/^.*:/, '');
      let val = v;
      if (Array.isArray(v)) {
        const pick = v.find(x => x && x['@language'] && x['@language'].startsWith(lang)) || v[0];
        val = pick && pick['@value'] != null ? pick['@value'] : JSON.stringify(v);
      } else if (v && typeof v === 'object') val = v['@value'] != null ? v['@value'] : JSON.stringify(v);
      parts.push(name + ': ' + val);
    }
    return parts.join(' · ');
  }

  /* The product name in the current language, from a verified ILMD when there is one. */
  function productName() {
    const prod = (result ? result.events : []).filter(e => e.ok && e.served.kind === 'product' && e.ev && e.ev.ilmd);
    for (const e of prod) {
      for (const [k, v] of Object.entries(e.ev.ilmd)) {
        if (!/(^|:)productName$/.test(k)) continue;
        if (Array.isArray(v)) {
          const pick = v.find(x => x && x['@language'] && x['@language'].startsWith(lang)) || v[0];
          if (pick && pick['@value']) return pick['@value'];
        } else if (typeof v === 'string') return v;
      }
    }
    return view.product.product_name || t('unnamed');
  }

  function render() {
    const p = view.product;
    $('product-name').textContent = productName();
    const insp = $('inspection');
    insp.className = 'badge ' + (p.inspection === 'conformant' ? 'pass' : p.inspection ? 'fail' : 'none');
    insp.textContent = p.inspection === 'conformant' ? t('inspPass')
      : p.inspection === 'non_conformant' ? t('inspFail')
        : p.inspection ? t('inspOther') + term('disposition', p.inspection) : t('inspNone');
    if (p.inspected_at) insp.textContent += ' · ' + t('inspAt') + ' ' + fmtTime(p.inspected_at);
    $('f-brand').textContent = p.brand_name || p.brand_org || '';
    $('f-model').textContent = p.model || '—';
    $('f-lot').textContent = p.lot || '—';
    $('f-serial').textContent = p.serial || '—';
    $('f-gtin').textContent = p.gtin || '—';
    $('f-date').textContent = p.production_date || '—';
    $('f-code').textContent = p.element_string || p.dl_path || '';
    const c = $('contact');
    c.replaceChildren();
    if (p.tel) c.append(el('a', { href: 'tel:' + p.tel }, t('tel') + ' ' + p.tel));
    if (p.sms) c.append(el('a', { href: 'sms:' + p.sms }, t('sms') + ' ' + p.sms));
    if (p.web && /^https?:\/\//.test(p.web)) c.append(el('a', { href: p.web, rel: 'noopener' }, t('web')));
    show('product', true);

    const ol = $('org-list');
    ol.replaceChildren();
    for (const o of view.organisations || [])
      ol.append(el('li', null, o.name || o.id, o.brand_owner ? ' (' + t('brandOwner') + ')' : ''));
    show('orgs', (view.organisations || []).length > 0);

    /* Timeline: from the signed payload's event when it decoded, so what is
     * shown is what was signed; served fields only for who recorded it. */
    const phases = ['origin', 'processing', 'inspection', 'distribution', 'retail', 'other'];
    const groups = {};
    view.events.forEach((served, i) => {
      const r = result ? result.events[i] : null;
      const ev = (r && r.ev) || decoded[i] || served;
      const ph = phaseOf(served.kind, ev);
      (groups[ph] = groups[ph] || []).push({ served, ev, r });
    });
    const box = $('phases');
    box.replaceChildren();
    for (const ph of phases) {
      if (!groups[ph]) continue;
      box.append(el('h3', null, t('phase_' + ph)));
      const list = el('ol', { class: 'events' });
      for (const { served, ev, r } of groups[ph]) {
        const step = window.SyVerify.cbvWord(ev.bizStep);
        const disp = window.SyVerify.cbvWord(ev.disposition);
        const title = (step ? term('bizStep', step) : term('type', ev.type)) + (disp ? ' — ' + term('disposition', disp) : '');
        const li = el('li', { 'data-event': served.eventID || '', 'data-verified': r ? String(r.ok) : 'pending' });
        li.append(el('div', { class: 'ev-title' }, title,
          served.kind !== 'product' ? ' (' + t(served.kind === 'material' ? 'materialOf' : 'containerOf') + ')' : ''));
        li.append(el('div', { class: 'ev-meta' }, el('time', { datetime: ev.eventTime || served.eventTime }, fmtTime(ev.eventTime || served.eventTime, ev.eventTimeZoneOffset))));
        const loc = window.SyVerify.idOf(ev.bizLocation) || window.SyVerify.idOf(ev.readPoint);
        if (loc) li.append(el('div', { class: 'ev-meta' }, t('at') + ': ' + shortId(loc)));
        const org = (view.organisations || []).find(o => o.id === served.org);
        const who = [org ? org.name : served.org, served.signerName].filter(Boolean).join(' · ');
        if (who) li.append(el('div', { class: 'ev-meta' }, t('recordedBy') + ': ' + who));
        const ids = epcsOf(ev);
        if (ids.length) li.append(el('div', { class: 'ev-meta code' }, ids.slice(0, 4).join(', ') + (ids.length > 4 ? ' … +' + (ids.length - 4) : '')));
        const extra = ilmdText(ev);
        if (extra) li.append(el('div', { class: 'ev-meta' }, extra));
        const vs = r ? (r.ok ? 'pass' : 'fail') : 'wait';
        li.append(el('div', { class: 'ev-v ' + vs }, t(vs === 'pass' ? 'evPass' : vs === 'fail' ? 'evFail' : 'evWait')));
        list.append(li);
      }
      box.append(list);
    }
    show('timeline', true);
    renderVerify();
  }

  function renderVerify() {
    show('verify', true);
    const res = $('verify-result');
    $('v-chain').textContent = view.chain.chain_id + ' · ' + view.chain.suite + ' · genesis ' + (view.chain.genesis_hash || '').slice(0, 16) + '…';
    $('v-nodes').textContent = (view.nodes || []).map(n => n.org + ' ' + n.key_id.slice(0, 12)).join(', ');
    const list = $('verify-list');
    list.replaceChildren();
    if (!result) {
      res.className = 'badge wait';
      res.textContent = t('vPending');
      return;
    }
    if (!result.supported) {
      res.className = 'badge fail';
      res.textContent = t('vUnsupported');
      return;
    }
    const bad = result.events.filter(e => !e.ok).length + (result.summaryBad.length ? 1 : 0);
    res.className = 'badge ' + (result.ok ? 'pass' : 'fail');
    res.textContent = result.ok ? t('vPass', { n: result.events.length }) : t('vFail', { k: bad });
    result.events.forEach((e) => {
      const li = el('li', null, (e.ok ? '✓ ' : '✗ ') + (e.served.eventID || e.served.txId));
      const checks = el('ul');
      for (const k of ['txid', 'sig', 'event', 'merkle', 'block', 'att'])
        if (k in e.checks) checks.append(el('li', null, (e.checks[k] ? '✓ ' : '✗ ') + t('chk_' + k)));
      if (e.why) checks.append(el('li', null, e.why === 'noEvidence' ? t('noEvidence') : e.why));
      li.append(checks);
      list.append(li);
    });
    if (result.summaryBad.length)
      list.append(el('li', null, '✗ ' + t('chk_summary') + ': ' + result.summaryBad.join(', ')));
  }

  let decoded = [];
  async function verify() {
    result = null;
    document.body.dataset.verify = 'pending';
    renderVerify();
    try {
      result = await window.SyVerify.verifyView(view);
    } catch (e) {
      result = { ok: false, supported: true, events: [], summaryBad: [String(e)] };
    }
    document.body.dataset.verify = !result.supported ? 'unsupported' : result.ok ? 'pass' : 'fail';
    render();
  }

  /* Decodes each event's payload up front, so even before (or without)
   * the cryptographic checks the page shows the signed event. */
  function decodeAll() {
    decoded = view.events.map((s) => {
      try {
        const tx = view.transactions[s.txId];
        return window.SyVerify.payloadEvent(window.SyVerify.decodeTx(window.SyVerify.unb64(tx.raw)).payload, s.eventIndex);
      } catch (e) { return null; }
    });
  }

  function fail(msg) {
    const m = $('message');
    m.textContent = msg;
    m.hidden = false;
    document.body.dataset.timeline = 'error';
    document.body.dataset.verify = 'fail';
  }

  async function load() {
    const id = productId();
    if (!id) {
      $('lookup').hidden = false;
      const m = $('message');
      m.textContent = t('noId');
      m.hidden = false;
      document.body.dataset.timeline = 'none';
      document.body.dataset.verify = 'none';
      return;
    }
    let resp;
    try {
      resp = await fetch('/v1/product?id=' + encodeURIComponent(id), { headers: { Accept: 'application/json' } });
    } catch (e) { return fail(t('netError')); }
    if (resp.status === 404) return fail(t('notFound'));
    if (resp.status === 400) {
      let d = '';
      try { d = (await resp.json()).detail || ''; } catch (e) { /* none */ }
      $('lookup').hidden = false;
      return fail(t('badId') + d);
    }
    if (!resp.ok) return fail(t('netError'));
    try { view = await resp.json(); } catch (e) { return fail(t('netError')); }
    if (!view || !Array.isArray(view.events) || !view.product || !view.chain) return fail(t('netError'));
    view.transactions = view.transactions || {};
    decodeAll();
    render();
    document.body.dataset.timeline = 'ready';
    await verify();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('lang-zh').addEventListener('click', () => setLang('zh'));
    $('lang-en').addEventListener('click', () => setLang('en'));
    $('verify-again').addEventListener('click', () => { if (view) verify(); });
    $('lookup').addEventListener('submit', (e) => {
      e.preventDefault();
      const v = $('lookup-id').value.trim();
      if (v) location.href = '/web/?id=' + encodeURIComponent(v);
    });
    setLang(lang);
    load();
  });
})();
