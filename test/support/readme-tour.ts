// The README's tours as data: the ```sh blocks under "## A short tour" and "## Tour: …", each command with the
// outcome its comment documents, and what a command's output shows — so test/readme-tours.test.ts can run the
// tours as written and hold each line to its word.
//
// The convention (README, "How to read the tours"): the comment line right above a command ends in
// `→ OUTCOME`, where OUTCOME is `ok` (it exits 0; what it prints is data, not an HTTP outcome) or one or more
// `STATUS [CODE] [×N]` in order, separated by commas: the HTTP statuses the command shows and, for each
// refusal, the code authplane adds in x-authplane-denial. Lines that only set variables or define a shell
// function need no outcome.

export interface TourStep {
  /** 1-based line in README.md. */
  line: number;
  command: string;
  /** undefined: a set-up line (variables, a function) that documents no outcome. */
  expect?: Expected;
  /** The outcome comment as written. */
  comment?: string;
}

export type Expected = { kind: 'ok' } | { kind: 'http'; outcomes: Outcome[] };

export interface Outcome {
  status: number;
  code?: string;
}

export interface Tour {
  title: string;
  /** 1-based line of the heading. */
  line: number;
  steps: TourStep[];
}

const TOUR_HEADING = /^## (A short tour|Tour: .+)$/;
const SETUP_LINE = /^([A-Za-z_][A-Za-z0-9_]*=|[A-Za-z_][A-Za-z0-9_]*\(\)\s*\{)/;

/** The tours of a README, in order; throws on a command without a documented outcome, or a malformed one. */
export function parseTours(markdown: string): Tour[] {
  const lines = markdown.split('\n');
  const tours: Tour[] = [];
  let tour: Tour | undefined;
  let inSh = false;
  let comment: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!inSh) {
      if (raw.startsWith('## ')) tour = TOUR_HEADING.test(raw) ? { title: raw.slice(3), line: i + 1, steps: [] } : undefined;
      if (tour && raw.startsWith('## ')) tours.push(tour);
      if (tour && raw.trim() === '```sh') {
        inSh = true;
        comment = undefined;
      }
      continue;
    }
    if (raw.trim() === '```') {
      inSh = false;
      continue;
    }
    const text = raw.trim();
    if (text === '') {
      comment = undefined;
      continue;
    }
    if (text.startsWith('#')) {
      comment = { text, line: i + 1 };
      continue;
    }
    // A command, with its continuation lines.
    let command = text;
    const start = i;
    while (command.endsWith('\\') && i + 1 < lines.length) command = `${command.slice(0, -1)} ${lines[++i]!.trim()}`;
    const arrow = comment?.text.lastIndexOf('→') ?? -1;
    if (arrow < 0) {
      if (!SETUP_LINE.test(command)) throw new Error(`README.md:${start + 1}: no documented outcome ("# … → STATUS CODE") above: ${command}`);
      tour!.steps.push({ line: start + 1, command });
    } else {
      tour!.steps.push({ line: start + 1, command, expect: parseOutcome(comment!.text.slice(arrow + 1), comment!.line), comment: comment!.text });
    }
    comment = undefined;
  }
  return tours.filter((t) => t.steps.length > 0);
}

/** `ok`, or `STATUS [CODE] [×N], …`. */
export function parseOutcome(text: string, line: number): Expected {
  const t = text.trim();
  if (t === 'ok') return { kind: 'ok' };
  const outcomes: Outcome[] = [];
  for (const part of t.split(',')) {
    const m = /^(\d{3})(?: ([A-Z][A-Z0-9_]+))?(?: ×(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`README.md:${line}: "${part.trim()}" is not an outcome: write ok, or STATUS [CODE] [×N], …`);
    for (let n = Number(m[3] ?? 1); n > 0; n--) outcomes.push({ status: Number(m[1]), ...(m[2] ? { code: m[2] } : {}) });
  }
  return { kind: 'http', outcomes };
}

/**
 * The HTTP outcomes a command's output shows, in order: curl -i status lines (with the x-authplane-denial
 * header of the same response), `authplane invoke`'s status line, `authplane explain`'s result, and the attempt
 * lines of `authplane tasks|scheduler|pubsub` (`#N  TIME  STATUS  LATENCY ms  CODE: …`).
 */
export function observedOutcomes(output: string): Outcome[] {
  const out: Outcome[] = [];
  let inHeaders = false;
  let pending: Outcome | undefined;
  for (const line of output.split('\n')) {
    const l = line.replace(/\r$/, '');
    let m: RegExpExecArray | null;
    // A status line may follow a previous response's body that did not end its line (curl -i A; curl -i B).
    if ((m = /(?:^|[^\w/])HTTP\/\d(?:\.\d)? (\d{3})(?: |$)/.exec(l))) {
      out.push((pending = { status: Number(m[1]) }));
      inHeaders = true;
    } else if (inHeaders && l === '') {
      inHeaders = false;
    } else if (inHeaders && (m = /^x-authplane-denial:\s*(\S+)/i.exec(l))) {
      pending!.code = m[1]!;
    } else if ((m = /^status {5}(\d{3})\b/.exec(l))) {
      out.push((pending = { status: Number(m[1]) }));
    } else if ((m = /^result {5}REFUSED (\d{3}) (\S+)/.exec(l))) {
      // invoke: the code of the status line above; explain: the only outcome.
      if (pending && pending.status === Number(m[1]) && pending.code === undefined) pending.code = m[2]!;
      else out.push({ status: Number(m[1]), code: m[2]! });
    } else if (/^result {5}ACCEPTED\b/.test(l)) {
      out.push({ status: 200 });
    } else if ((m = /^(?:run \S+ )?#\d+\s+\S+\s+(\d{3}|no response)\s+[\d.]+ ms(?:\s+([A-Z][A-Z0-9_]+):)?/.exec(l))) {
      out.push({ status: m[1] === 'no response' ? 0 : Number(m[1]), ...(m[2] ? { code: m[2] } : {}) });
    }
  }
  return out;
}

/** An outcome list as the README writes it. */
export function formatOutcomes(outcomes: Outcome[]): string {
  const parts: string[] = [];
  for (let i = 0; i < outcomes.length; ) {
    const o = outcomes[i]!;
    let n = 1;
    while (i + n < outcomes.length && outcomes[i + n]!.status === o.status && outcomes[i + n]!.code === o.code) n++;
    parts.push(`${o.status}${o.code ? ` ${o.code}` : ''}${n > 1 ? ` ×${n}` : ''}`);
    i += n;
  }
  return parts.join(', ') || '(none)';
}
