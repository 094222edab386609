// @ts-check
// report.html's script, inlined into the page as these exact bytes (the page's
// CSP allows only their hash). Plain JavaScript with JSDoc types, checked
// against the DOM by tsconfig.browser.json: what is checked is what runs.
// Untrusted strings only ever reach the page as text nodes or through
// validated href values.
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: the page runs this as a classic script, not a module: strict only by this line
  'use strict';
  /** @typedef {import('./data.js').HtmlData} HtmlData */
  /** @typedef {HtmlData['cells'][number]} Cell */
  /** @typedef {NonNullable<Cell['elf']>['libraries'][string]} Elf */
  /** @typedef {NonNullable<Cell['pe']>['libraries'][string]} Pe */
  /** @typedef {Node | string | null | undefined | false} Kid */

  /** @param {string} id */
  function byId(id) {
    const el = document.getElementById(id);
    if (!el) throw new Error(`report.html has no #${id}`);
    return el;
  }
  /** @type {HtmlData} */
  const DATA = JSON.parse(byId('csm-data').textContent || '');
  const panel = byId('panel');
  /** @type {Element | null} */
  let selected = null;

  /**
   * @param {string} tag
   * @param {Record<string, unknown> | null} props
   * @param {Kid[]} [kids]
   */
  function h(tag, props, kids) {
    const el = document.createElement(tag);
    if (props)
      for (const k in props) {
        const v = props[k];
        if (v === undefined || v === null || v === false) continue;
        if (k === 'text') el.textContent = String(v);
        else if (k === 'class') el.className = String(v);
        else el.setAttribute(k, String(v));
      }
    for (const c of kids || []) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }
  /** @param {unknown} u @returns {u is string} */
  function isHttp(u) {
    return typeof u === 'string' && /^https?:\/\/\S+$/i.test(u);
  }
  /** @param {string} u @param {string} [text] */
  function link(u, text) {
    return isHttp(u) ? h('a', { href: u, target: '_blank', rel: 'noopener noreferrer', text: text || u }) : h('code', { text: u });
  }
  /** @param {string} title @param {Kid[]} kids @param {string} [cls] */
  function section(title, kids, cls) {
    return h('section', cls ? { class: cls } : null, [h('h3', { text: title }), ...kids]);
  }
  /** @param {number} n */
  function kib(n) {
    return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
  }
  /** @param {Cell} c */
  function exitText(c) {
    const e = c.exit;
    if (!e) return null;
    if (e.timedOut) return 'timed out and was killed';
    if (e.signal !== undefined) return `killed by signal ${e.signal}${e.signalName ? ` (${e.signalName})` : ''}`;
    if (e.code !== undefined) return `exited with code ${e.code}`;
    return null;
  }
  /** The log the reader wants first: the one of the stage the cell stopped at. @param {Cell} c */
  function primaryLog(c) {
    const names = Object.keys(c.logs || {});
    const want = c.stage === 'build' ? /^build/ : c.stage === 'host-compile' ? /^compile/ : /^run/;
    return names.find((n) => want.test(n)) ?? names[0];
  }

  /** @param {string} name @param {Elf} e */
  function elfRow(name, e) {
    const sub = [];
    if (e.soname) sub.push(`SONAME ${e.soname}`);
    if (e.exports?.length)
      sub.push(`exports ${e.exports.slice(0, 24).join(', ')}${e.exports.length > 24 ? `, … (${e.exports.length})` : ''}`);
    if (e.arm) {
      const a = [];
      if (e.arm.cpuArch) a.push(`CPU ${e.arm.cpuArch}`);
      if (e.arm.floatAbi) a.push(`float ABI ${e.arm.floatAbi}`);
      if (e.arm.fpArch) a.push(`FP ${e.arm.fpArch}`);
      if (a.length) sub.push(`ARM ${a.join(', ')}`);
    }
    if (e.glibcFloor) sub.push(`glibc floor: ${e.glibcFloor.line}`);
    if (e.muslLine) sub.push(e.muslLine);
    return h('tr', null, [
      h('th', { text: name }),
      h('td', null, [h('code', { text: e.summary || '—' }), ...sub.map((s) => h('div', { class: 'sub', text: s }))]),
    ]);
  }

  /** The panel's head: the cell's id, verdict, summary and axes. @param {Cell} c */
  function headOf(c) {
    const a = c.axes;
    const axes = [
      a.platform,
      a.goarch + (a.goarm ? `v${a.goarm}` : ''),
      a.libc,
      `cpu ${a.cpu}`,
      // Wine is not Windows: a Windows cell says what ran its host.
      a.wine ? `under ${a.wine}` : '',
      a.toolchain === 'gccgo' ? a.go : `go${a.goVersion || a.go}`,
      exitText(c),
      `${(c.durationMs / 1000).toFixed(2)} s`,
    ];
    const close = h('button', { type: 'button', class: 'close', title: 'Close (Esc)', 'aria-label': 'Close', text: '×' });
    close.addEventListener('click', closePanel);
    return h('div', { class: 'ph' }, [
      close,
      h('h2', { text: c.id }),
      h('div', null, [
        h('span', { class: `badge v-${c.verdict}`, text: `${DATA.symbols[c.verdict] || ''} ${c.verdict}` }),
        c.verdict === 'pass' ? null : h('span', { text: `at ${c.stage}${c.stageOk ? '' : ' (failed)'}` }),
      ]),
      h('p', { class: 'summary', text: c.summary }),
      h('div', { class: 'axes', text: axes.filter(Boolean).join(' · ') }),
    ]);
  }

  /** @param {NonNullable<Cell['expectation']>} x */
  function expectationOf(x) {
    const when = Object.entries(x.when || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return section(
      'Expectation',
      [
        h('div', { class: 'expect' }, [
          h('div', null, [h('span', { class: 'label', text: x.label }), ' ', link(x.link)]),
          x.reason ? h('div', { class: 'reason', text: x.reason }) : null,
          h('div', {
            class: 'matched',
            text: x.matched ? 'Matched: the cell failed exactly as recorded.' : `Did not match${x.why ? `: ${x.why}` : '.'}`,
          }),
          h('div', {
            class: 'rule',
            text: `expects ${[x.verdict].flat().join(' or ')}${x.stage ? ` at ${x.stage}` : ''} matching /${x.match}/${when.length ? ` when ${when.join(', ')}` : ''}`,
          }),
        ]),
      ],
      'expectation',
    );
  }

  /** @param {Cell} c */
  function checksOf(c) {
    const ok = c.checks.filter((k) => k.ok).length;
    const items = c.checks.map((k) =>
      h('li', null, [h('span', { class: k.ok ? 'ok' : 'bad', text: k.ok ? '✓ ok ' : '✗ not ok ' }), k.text]),
    );
    return section(`Checks (${ok}/${c.checks.length} ok)`, [h('ul', { class: 'checks' }, items)], 'checks-box');
  }

  /** @param {NonNullable<Cell['elf']>} elf */
  function elfOf(elf) {
    const rows = Object.entries(elf.libraries || {}).map(([n, e]) => elfRow(`lib ${n}`, e));
    if (elf.host) rows.push(elfRow('host', elf.host));
    return rows.length ? section('ELF facts', [h('table', { class: 'elf' }, [h('tbody', null, rows)])], 'elf-box') : null;
  }

  /** A Windows file's PE facts: the summary, then what it exports and imports. @param {string} name @param {Pe} p */
  function peRow(name, p) {
    const names = p.exports.map((e) => e.name ?? `#${e.ordinal}`);
    const sub = [
      ...(names.length ? [`exports ${names.slice(0, 24).join(', ')}${names.length > 24 ? `, … (${names.length})` : ''}`] : []),
      ...p.imports.map((i) => `imports ${i.dll}: ${i.functions.length} function${i.functions.length === 1 ? '' : 's'}`),
      `entry ${p.entryName ?? `0x${p.entryPoint.toString(16)}`}, C runtime ${p.crt}`,
      ...p.problems.map((x) => `unread: ${x}`),
    ];
    return h('tr', null, [
      h('th', { text: name }),
      h('td', null, [h('code', { text: p.summary || '—' }), ...sub.map((x) => h('div', { class: 'sub', text: x }))]),
    ]);
  }

  /** @param {NonNullable<Cell['pe']>} pe */
  function peOf(pe) {
    const rows = Object.entries(pe.libraries || {}).map(([n, p]) => peRow(`lib ${n}`, p));
    if (pe.host) rows.push(peRow('host', pe.host));
    return rows.length ? section('PE facts', [h('table', { class: 'elf pe' }, [h('tbody', null, rows)])], 'elf-box') : null;
  }

  /** Each log of the cell, the one of its stage open. @param {Cell} c */
  function logsOf(c) {
    const names = Object.keys(c.logs || {});
    if (!names.length) return null;
    const first = primaryLog(c);
    const logs = names.map((n) => {
      const path = c.logs[n] ?? '';
      const log = DATA.logs[path] || { missing: 'not recorded' };
      const sum = h('summary', null, [
        h('b', { text: n }),
        h('span', { class: 'path', text: path + (log.bytes !== undefined ? ` · ${kib(log.bytes)}` : '') }),
      ]);
      const body = log.missing !== undefined ? h('div', { class: 'trunc', text: `(${log.missing})` }) : h('pre', { text: log.text });
      const note = log.omitted
        ? h('div', {
            class: 'trunc',
            text: `Long log: ${kib(log.omitted)} from the middle are not shown here; the whole file is ${path} in the run directory.`,
          })
        : null;
      return h('details', { class: 'log', open: n === first ? '' : undefined, 'data-log': n }, [sum, note, body]);
    });
    return section('Logs', logs, 'logs');
  }

  /** @param {Cell} c */
  function render(c) {
    const caseDesc = DATA.cases[c.axes.case];
    /** @type {Kid[]} */
    const kids = [
      headOf(c),
      caseDesc ? section('Case', [h('div', { class: 'dim', text: caseDesc })]) : null,
      c.explanation ? section('Why', [h('div', { class: `why v-${c.verdict}`, text: c.explanation })], 'explanation') : null,
      c.expectation ? expectationOf(c.expectation) : null,
      c.checks?.length ? checksOf(c) : null,
      c.elf ? elfOf(c.elf) : null,
      c.pe ? peOf(c.pe) : null,
      c.failureText && c.verdict !== 'pass'
        ? section('Failure text', [
            h('details', { class: 'log' }, [
              h('summary', { text: 'what expectations were matched against' }),
              h('pre', { text: c.failureText }),
            ]),
          ])
        : null,
      logsOf(c),
    ];
    panel.replaceChildren(...kids.filter((k) => k instanceof Node));
    panel.scrollTop = 0;
  }

  /** @param {number} i @param {Element} [btn] */
  function openPanel(i, btn) {
    const c = DATA.cells[i];
    if (!c) return;
    if (selected) selected.classList.remove('selected');
    selected = btn || document.querySelector(`.cell[data-i="${i}"]`);
    if (selected) selected.classList.add('selected');
    render(c);
    document.body.classList.add('open');
    panel.setAttribute('aria-hidden', 'false');
    if (history.replaceState) history.replaceState(null, '', `#${encodeURIComponent(c.id)}`);
  }
  function closePanel() {
    document.body.classList.remove('open');
    panel.setAttribute('aria-hidden', 'true');
    if (selected instanceof HTMLElement) {
      selected.classList.remove('selected');
      selected.focus();
    }
    selected = null;
    if (history.replaceState) history.replaceState(null, '', location.pathname + location.search);
  }

  for (const b of document.querySelectorAll('.cell')) {
    b.addEventListener('click', () => {
      if (selected === b && document.body.classList.contains('open')) closePanel();
      else openPanel(Number(b.getAttribute('data-i')), b);
    });
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('open')) closePanel();
  });

  // Clicking a count highlights the cells with that verdict; clicking it again clears.
  const chips = document.querySelectorAll('.chip');
  for (const chip of chips) {
    chip.addEventListener('click', () => {
      const v = chip.getAttribute('data-verdict');
      const on = !chip.classList.contains('active');
      for (const x of chips) x.classList.remove('active');
      document.body.classList.toggle('filtering', on);
      for (const b of document.querySelectorAll('.cell')) b.classList.toggle('hit', on && b.classList.contains(`v-${v}`));
      if (on) chip.classList.add('active');
    });
  }

  // A link to a cell (the attention list's, or one pasted into the address bar) opens it.
  function openFromHash() {
    if (location.hash.length <= 1) return;
    const id = decodeURIComponent(location.hash.slice(1));
    const i = DATA.cells.findIndex((c) => c.id === id);
    if (i >= 0) openPanel(i);
  }
  window.addEventListener('hashchange', openFromHash);
  openFromHash();
})();
