/* In-browser verification of a product view (docs/resolver.md,
 * "Verification protocol"). Nothing here trusts the server's JSON beyond
 * what it re-derives from bytes:
 *   1. tx id = SHA-256(raw transaction)                     (docs/format.md)
 *   2. the signer key hashes to the signer id in the signed body, and its
 *      Ed25519 signature over the body verifies
 *   3. the event shown is the one at eventIndex of the signed EPCIS payload,
 *      field by field (the page renders the payload's event, not the JSON's)
 *   4. the RFC 9162 audit path leads from H(0x00|tx id) to the tx_root in
 *      the block header bytes
 *   5. block hash = SHA-256(header)
 *   6. at least one attestation "SYAT"|height|hash|results_hash verifies
 *      with the Ed25519 key of a registered node whose key id it names.
 * The trust root is the set of node keys (shown on the page); see the doc
 * for what that means and how to pin it. */
'use strict';
(function () {
  const te = new TextEncoder();
  const td = new TextDecoder('utf-8', { fatal: true });

  function unb64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(u8) {
    let s = '';
    for (const b of u8) s += b.toString(16).padStart(2, '0');
    return s;
  }
  function unhex(s) {
    if (typeof s !== 'string' || s.length % 2 || /[^0-9a-fA-F]/.test(s)) throw new Error('bad hex');
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
    return out;
  }
  function eq(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }
  function concat(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  function u32(b, o) {
    if (o + 4 > b.length) throw new Error('truncated');
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
  }
  function u64(b, o) { /* exact below 2^53, which heights and times are */
    const lo = u32(b, o), hi = u32(b, o + 4);
    if (hi >= 0x200000) throw new Error('u64 too large');
    return hi * 0x100000000 + lo;
  }
  function le64(n) {
    const out = new Uint8Array(8);
    let v = n;
    for (let i = 0; i < 8; i++) { out[i] = v % 256; v = Math.floor(v / 256); }
    return out;
  }
  async function sha256(...parts) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
  }

  /* tx = body_len u32 | body | sig_len u8 | sig;
   * body = "SYT1" | type u8 | chain_len u8 | chain | signer[16] | ts u64 | nonce u64 | payload_len u32 | payload */
  function decodeTx(raw) {
    const bl = u32(raw, 0);
    if (4 + bl + 1 > raw.length) throw new Error('truncated');
    const body = raw.subarray(4, 4 + bl);
    const sl = raw[4 + bl];
    if (sl < 1 || 5 + bl + sl !== raw.length) throw new Error('bad envelope');
    const sig = raw.subarray(5 + bl, 5 + bl + sl);
    if (String.fromCharCode(body[0], body[1], body[2], body[3]) !== 'SYT1') throw new Error('bad magic');
    const type = body[4], cl = body[5];
    let o = 6;
    if (cl < 1 || cl > 64 || o + cl + 16 + 16 + 4 > body.length) throw new Error('truncated');
    const chain = td.decode(body.subarray(o, o + cl)); o += cl;
    const signer = body.subarray(o, o + 16); o += 16;
    o += 16; /* timestamp, nonce */
    const pl = u32(body, o); o += 4;
    if (o + pl !== body.length) throw new Error('bad payload length');
    return { type, chain, signer, body, sig, payload: body.subarray(o, o + pl) };
  }

  /* The event at index of an epcis.capture payload (a document or one event). */
  function payloadEvent(payload, index) {
    const doc = JSON.parse(td.decode(payload));
    if (doc && doc.type === 'EPCISDocument') {
      const list = doc.epcisBody && doc.epcisBody.eventList;
      if (!Array.isArray(list) || index >= list.length) throw new Error('no such event in the payload');
      return list[index];
    }
    if (index !== 0) throw new Error('no such event in the payload');
    return doc;
  }

  const CBV_PREFIXES = ['https://ref.gs1.org/cbv/BizStep-', 'https://ref.gs1.org/cbv/Disp-',
    'urn:epcglobal:cbv:bizstep:', 'urn:epcglobal:cbv:disp:'];
  function cbvWord(v) {
    if (v == null) return null;
    for (const p of CBV_PREFIXES) if (v.startsWith(p)) return v.slice(p.length);
    return v;
  }
  function idOf(v) { return v && typeof v === 'object' ? (v.id || null) : (v || null); }

  /* Field-by-field comparison of the served event with the signed one. */
  function sameEvent(served, ev) {
    const bad = [];
    const cmp = (name, a, b) => { if ((a == null ? null : a) !== (b == null ? null : b)) bad.push(name); };
    cmp('type', served.type, ev.type);
    cmp('eventTime', served.eventTimeMs, Date.parse(ev.eventTime));
    cmp('action', served.action, ev.action);
    cmp('bizStep', served.bizStep, cbvWord(ev.bizStep));
    cmp('disposition', served.disposition, cbvWord(ev.disposition));
    cmp('readPoint', served.readPoint, idOf(ev.readPoint));
    cmp('bizLocation', served.bizLocation, idOf(ev.bizLocation));
    if (ev.eventID) cmp('eventID', served.eventID, ev.eventID);
    return bad;
  }

  /* RFC 9162 section 2.1.3.2. */
  async function merkleRoot(txid, index, size, path) {
    if (!(index >= 0 && index < size)) return null;
    let fn = index, sn = size - 1;
    let r = await sha256(new Uint8Array([0]), txid);
    for (const p of path) {
      if (sn === 0) return null;
      if ((fn & 1) || fn === sn) {
        r = await sha256(new Uint8Array([1]), p, r);
        if (!(fn & 1)) while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
      } else {
        r = await sha256(new Uint8Array([1]), r, p);
      }
      fn >>= 1; sn >>= 1;
    }
    return sn === 0 ? r : null;
  }

  /* header = "SYB1" | height | prev | tx_root | flags_hash | results_hash | ts | proposer | tx_count */
  function decodeHeader(h) {
    if (h.length !== 168 || String.fromCharCode(h[0], h[1], h[2], h[3]) !== 'SYB1') throw new Error('bad header');
    return { height: u64(h, 4), txRoot: h.subarray(44, 76), results: h.subarray(108, 140), txCount: u32(h, 164) };
  }

  const keyCache = new Map();
  async function ed25519Verify(pk, sig, msg) {
    let key = keyCache.get(hex(pk));
    if (!key) {
      key = await crypto.subtle.importKey('raw', pk, { name: 'Ed25519' }, false, ['verify']);
      keyCache.set(hex(pk), key);
    }
    return crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
  }

  async function ed25519Supported() {
    try {
      await crypto.subtle.importKey('raw', unhex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
        { name: 'Ed25519' }, false, ['verify']);
      return true;
    } catch (e) { return false; }
  }

  /* Verifies every event of a product view. Returns
   * {ok, supported, events: [{ok, checks: {txid, sig, event, merkle, block, att}, why, ev}], summary: [...]} */
  async function verifyView(view) {
    const out = { ok: false, supported: true, events: [], summaryBad: [] };
    if (!window.crypto || !crypto.subtle || view.chain.suite !== 'ed25519-sha256' || !(await ed25519Supported())) {
      out.supported = false;
      return out;
    }
    const nodes = new Map();
    for (const n of view.nodes || []) {
      try {
        const pk = unhex(n.public_key);
        const kid = (await sha256(pk)).subarray(0, 16);
        if (hex(kid) === n.key_id) nodes.set(n.key_id, pk); /* a key must hash to its id */
      } catch (e) { /* skip */ }
    }
    const blockCache = new Map();
    async function checkBlock(height) {
      if (blockCache.has(height)) return blockCache.get(height);
      const p = (async () => {
        const b = view.blocks && view.blocks[String(height)];
        if (!b) return { ok: false, why: 'no block' };
        const hdr = unb64(b.header);
        const h = decodeHeader(hdr);
        const hash = await sha256(hdr);
        const blockOk = h.height === height && hex(hash) === b.hash;
        let att = false;
        const msg = concat(te.encode('SYAT'), le64(h.height), hash, h.results);
        for (const a of b.attestations || []) {
          const pk = nodes.get(a.node);
          if (!pk) continue;
          try { if (await ed25519Verify(pk, unhex(a.signature), msg)) { att = true; break; } } catch (e) { /* next */ }
        }
        return { ok: blockOk && att, blockOk, att, h, hash };
      })();
      blockCache.set(height, p);
      return p;
    }
    for (const served of view.events) {
      const r = { ok: false, checks: {}, why: '', ev: null, served };
      out.events.push(r);
      try {
        const tx = view.transactions && view.transactions[served.txId];
        if (!tx) { r.why = 'noEvidence'; continue; }
        const raw = unb64(tx.raw);
        const id = await sha256(raw);
        r.checks.txid = hex(id) === served.txId;
        const t = decodeTx(raw);
        let sigOk = false;
        if (tx.signer_public_key) {
          const pk = unhex(tx.signer_public_key);
          const kid = (await sha256(pk)).subarray(0, 16);
          sigOk = eq(kid, t.signer) && hex(t.signer) === served.signer &&
            await ed25519Verify(pk, t.sig, t.body);
        }
        r.checks.sig = sigOk;
        r.checks.chain = t.chain === view.chain.chain_id;
        const ev = payloadEvent(t.payload, served.eventIndex);
        r.ev = ev;
        const bad = sameEvent(served, ev);
        r.checks.event = bad.length === 0 && t.type === 17;
        if (bad.length) r.why = bad.join(', ');
        const pf = tx.proof;
        const blk = await checkBlock(served.height);
        const root = await merkleRoot(id, pf.leaf_index, pf.tree_size, (pf.path || []).map(unhex));
        r.checks.merkle = !!(root && blk.h && eq(root, blk.h.txRoot) && pf.tree_size === blk.h.txCount &&
          tx.height === served.height && pf.leaf_index === served.txIndex);
        r.checks.block = !!blk.blockOk;
        r.checks.att = !!blk.att;
        r.ok = Object.values(r.checks).every(Boolean);
      } catch (e) {
        r.ok = false;
        r.why = String(e && e.message || e);
      }
    }
    /* The summary at the top must agree with the verified events. */
    const prod = out.events.filter(e => e.ok && e.served.kind === 'product');
    const insp = prod.filter(e => cbvWord(e.ev.bizStep) === 'inspecting');
    const lastInsp = insp.length ? (cbvWord(insp[insp.length - 1].ev.disposition) || 'inspected') : '';
    if ((view.product.inspection || '') !== lastInsp) out.summaryBad.push('inspection');
    const name = view.product.product_name || '';
    if (name && !prod.some(e => e.ev.ilmd && JSON.stringify(e.ev.ilmd).includes(JSON.stringify(name).slice(1, -1))))
      out.summaryBad.push('product_name');
    out.ok = out.events.length > 0 && out.events.every(e => e.ok) && out.summaryBad.length === 0;
    return out;
  }

  window.SyVerify = { verifyView, decodeTx, payloadEvent, cbvWord, idOf, unb64, hex };
})();
