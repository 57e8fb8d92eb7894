// Pieces every view shares: the html tag, a polling hook, status badges, a refusal's explanation block,
// times and durations.

import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { post } from './api.js';

export const html = htm.bind(h);

/** Runs `load` now and every `everyMs` while the view is shown; returns [data, error, reload]. */
export function usePoll(load, everyMs, deps = []) {
  const [data, setData] = useState(undefined);
  const [error, setError] = useState(undefined);
  const latest = useRef(load);
  latest.current = load;
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    let timer;
    const run = async () => {
      try {
        const d = await latest.current();
        if (alive) {
          setData(d);
          setError(undefined);
        }
      } catch (e) {
        if (alive) setError(e);
      }
      const wait = typeof everyMs === 'function' ? everyMs() : everyMs;
      if (alive && wait) timer = setTimeout(run, wait);
    };
    run();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return [data, error, () => setTick((t) => t + 1)];
}

/** A button's action: POST `path` (a REST call, as any client makes it), then `reload`; returns [act, error]. */
export function useAction(reload) {
  const [error, setError] = useState(undefined);
  const act = async (path) => {
    try {
      setError(undefined);
      await post(path, {});
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return [act, error];
}

export function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${String(error.message ?? error)}</p>` : null;
}

/** An HTTP status (or "no response") as a coloured badge; words, not colour alone, carry the meaning. */
export function Status({ status }) {
  if (status === null || status === undefined || status === 0) return html`<span class="badge bad">no response</span>`;
  const cls = status < 300 ? 'ok' : status < 400 ? 'info' : 'bad';
  return html`<span class=${`badge ${cls}`}>${status}</span>`;
}

export function Code({ code }) {
  return code ? html`<code class="code">${code}</code>` : null;
}

/** A refusal's words: Google's message, what it means, the fix, the evidence. */
export function Refusal({ entry }) {
  if (!entry.code) return null;
  return html`<dl class="refusal">
    ${entry.message ? html`<dt>Google says</dt><dd>${entry.message}</dd>` : null}
    ${entry.explanation ? html`<dt>Why</dt><dd>${entry.explanation}</dd>` : null}
    ${entry.remedy ? html`<dt>Fix</dt><dd class="fix">${entry.remedy}</dd>` : null}
    ${entry.evidence ? html`<dt>Evidence</dt><dd><pre class="evidence">${JSON.stringify(entry.evidence, null, 2)}</pre></dd>` : null}
  </dl>`;
}

// One formatter for every time shown: toLocaleTimeString with options builds a new one per call (in Chromium 64 ms
// for the history's 500 rows, against 1.5 ms with this one). hourCycle h23: the minutes after midnight read
// 00:05, where hour12: false read 24:05.
const TIME = new Intl.DateTimeFormat([], { hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });

/** HH:MM:SS.mmm of an ISO time or epoch ms, in the browser's time zone. */
export function clock(t) {
  if (t === null || t === undefined) return '—';
  const d = new Date(t);
  return `${TIME.format(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A duration in ms as "4 s", "1 min 5 s", "120 ms". */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A section with a heading and an optional toolbar. */
export function Panel({ title, actions, children, id }) {
  return html`<section class="panel" aria-labelledby=${id}>
    <div class="panel-head"><h2 id=${id} tabindex="-1">${title}</h2>${actions ? html`<div class="actions">${actions}</div>` : null}</div>
    ${children}
  </section>`;
}
