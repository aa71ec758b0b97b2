// Security of scenario files: every string field of every seed scenario, set to text with shell
// metacharacters, path traversal or absurd sizes, is either rejected by validation or reaches the
// guest's shell only inside single quotes. Same for numbers: absurd values are rejected, or reach the
// shell as plain decimal numbers. Checked on every command plan the runner sends to a guest.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { snapshotCommand } from '../../scenarios/counters.ts';
import { ScenarioError } from '../../scenarios/errors.ts';
import {
  observerCommands, serverCommands, serviceCommands, stepCommand, sysctlCommands, topologyCommands, type GuestCommand,
} from '../../scenarios/guest-commands.ts';
import { moduleCommand } from '../../scenarios/guest-state.ts';
import { parseScenario } from '../../scenarios/parse-scenario.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { stepMarker } from '../../analysis/step-markers.ts';
import { HOOK_FUNCTIONS, markerCommand, planTracing } from '../../scenarios/trace-plan.ts';
import { fieldPaths, getAt, setAt, stringPaths, type FieldPath } from '../fuzz/object-paths.ts';
import { singleQuotedValues, unquotedText } from './shell-words.ts';

const seedDir = join(import.meta.dirname, '..', '..', 'scenarios', 'seed');
const seeds = readdirSync(seedDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ file: f, data: parseYaml(readFileSync(join(seedDir, f), 'utf8')) as Record<string, unknown> }));

/** Every script the runner would send for this scenario (all steps, tracing with every hook present). */
function commandPlans(s: Scenario): GuestCommand[] {
  const available = new Set<string>([...HOOK_FUNCTIONS, ...s.trace.functions, '__icmp_send', 'nf_hook_slow']);
  const tracing = planTracing(s, available, ['ip_vs', ...s.services.map((x) => `ip_vs_${x.scheduler}`)]);
  return [
    moduleCommand(s.services.map((x) => x.scheduler), s.services.some((x) => x.method === 'tun')),
    ...topologyCommands(s), ...sysctlCommands(s), ...serviceCommands(s), ...serverCommands(s),
    tracing.start, tracing.stop, tracing.reset, snapshotCommand(s),
    ...s.steps.flatMap((step) => {
      const observer = observerCommands(step);
      return [stepCommand(s, step), markerCommand(stepMarker(step.name, 'begin')), markerCommand(stepMarker(step.name, 'end')), ...(observer ? [observer.start, observer.collect] : [])];
    }),
  ];
}

/** Scripts, and scripts embedded in them as quoted strings (a server's script written with printf). */
function allScripts(plans: GuestCommand[]): string[] {
  const out: string[] = [];
  const add = (script: string, depth: number) => {
    out.push(script);
    if (depth < 3) for (const v of singleQuotedValues(script)) if (v.includes('\n')) add(v, depth + 1);
  };
  for (const p of plans) {
    add(p.script, 0);
    out.push(p.label); // labels are logged, and must not smuggle control characters either
  }
  return out;
}

function validate(data: unknown): { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError } {
  try {
    return { ok: true, scenario: parseScenario(stringify(data), 'injected.yaml') };
  } catch (err) {
    if (err instanceof ScenarioError) return { ok: false, error: err };
    throw err;
  }
}

// Unique markers around each metacharacter: if one shows up outside quotes, free text got through.
const M = 'zqzq';
const HOSTILE = [
  `${M};${M}`, `${M}$(${M})`, `${M}\`${M}\``, `${M}|${M}`, `${M}&${M}`, `${M}\n${M}`, `${M}>${M}`, `${M}<${M}`, `${M}'${M}`, `${M}"${M}`,
  `${M}\\${M}`, `${M}*${M}`, `${M}\${IFS}${M}`, `${M} ${M}`, `${M}\t${M}`, `${M}\r${M}`, `${M}\u0000${M}`, `${M}#${M}`, `${M}~${M}`, `${M}{a,b}${M}`,
  `../../${M}`, `/etc/${M}`, `${M}/../${M}`, `-${M}`, `--${M}=x`,
  `${M}${'a'.repeat(10_000)}`, 'a'.repeat(100_000),
];
const META = /[;&|`$()<>\\'"*?[\]{}~#\n\r\t\0 ]/;

/**
 * Where injected text with a metacharacter reaches the shell unquoted. shellQuote leaves a value bare
 * only when it has no metacharacter at all, so a value with one must never show its marker outside
 * single quotes.
 */
function leaks(s: Scenario, injected: string): string[] {
  const problems: string[] = [];
  for (const script of allScripts(commandPlans(s))) {
    if (META.test(injected) && injected.includes(M) && unquotedText(script).includes(M)) problems.push(`unquoted free text in: ${script.slice(0, 300)}`);
    if (/[\0\r]/.test(script)) problems.push(`control character in: ${JSON.stringify(script.slice(0, 200))}`);
  }
  return problems;
}

describe('scenario string fields: hostile text is rejected or stays quoted', () => {
  for (const { file, data } of seeds) {
    it(`${file}: every string field x every hostile value`, () => {
      const accepted: string[] = [];
      for (const path of stringPaths(data)) {
        for (const value of HOSTILE) {
          const r = validate(setAt(data, path, value));
          if (!r.ok) continue;
          accepted.push(`${path.join('.')}=${JSON.stringify(value.slice(0, 30))}`);
          expect(leaks(r.scenario, value), `${file} ${path.join('.')}`).toEqual([]);
          // Nothing absurd gets through: the longest accepted text is a few KiB (description).
          expect(value.length, `${file} ${path.join('.')} accepted ${value.length} characters`).toBeLessThanOrEqual(4000);
        }
      }
      // Only free-text fields may accept metacharacters (payloads, replies, summaries, labels).
      for (const a of accepted) expect(a, 'hostile text accepted in a field that is not free text').toMatch(/^(summary|description|kubernetes)=|\.(payload|reply)=|^graphs\.\d+\.(label|name)=/);
      // Thousands of validations for the larger seeds: minutes on a loaded 2-core machine, not a hang.
    }, 180_000);
  }

  // A connection kept open runs from a script file written with printf: its payload is quoted twice
  // (in the script, and the script in the command). Seed files leave the payload at its default.
  it('a held connection (keepOpen, finish) keeps a hostile payload quoted at both levels', () => {
    const seed = seeds.find((x) => x.file === 'graceful-termination.yaml')!;
    const held = (seed.data['steps'] as { connect?: { keepOpen?: boolean } }[]).findIndex((st) => st.connect?.keepOpen);
    expect(held).toBeGreaterThanOrEqual(0);
    for (const value of HOSTILE) {
      const r = validate(setAt(seed.data, ['steps', held, 'connect', 'payload'], value));
      if (!r.ok) continue;
      expect(leaks(r.scenario, value), JSON.stringify(value.slice(0, 30))).toEqual([]);
    }
  });

  it('setWeight, removeRealServer and finish take only validated shapes (endpoints, names)', () => {
    const seed = seeds.find((x) => x.file === 'endpoint-removed.yaml')!;
    const steps = seed.data['steps'] as Record<string, unknown>[];
    const remove = steps.findIndex((st) => st['removeRealServer'] !== undefined);
    const finish = steps.findIndex((st) => st['finish'] !== undefined);
    for (const value of HOSTILE) {
      expect(validate(setAt(seed.data, ['steps', remove, 'removeRealServer', 'realServer'], value)).ok).toBe(false);
      expect(validate(setAt(seed.data, ['steps', remove, 'removeRealServer', 'service'], value)).ok).toBe(false);
      expect(validate(setAt(seed.data, ['steps', finish, 'finish'], value)).ok).toBe(false);
    }
  });

  it('random strings in random string fields (1000 cases)', () => {
    const paths = seeds.map((s) => stringPaths(s.data));
    const text = fc.string({ maxLength: 60, unit: 'binary' }).map((t) => `${M}${t}${M}`);
    fc.assert(
      fc.property(fc.nat(seeds.length - 1), fc.nat(), text, (which, pick, value) => {
        const all = paths[which]!;
        const r = validate(setAt(seeds[which]!.data, all[pick % all.length]!, value));
        if (r.ok) expect(leaks(r.scenario, value)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('scenario numbers: absurd values are rejected or reach the shell as plain decimals', () => {
  const ABSURD = [-1, 0, 0.5, 1e-7, 65536, 1e9, 2 ** 53 + 2, 1e21, 1e308, -1e308];
  for (const { file, data } of seeds) {
    it(`${file}: every number field x every absurd value`, () => {
      const numberPaths = fieldPaths(data).filter((p: FieldPath) => typeof getAt(data, p) === 'number');
      for (const path of numberPaths) {
        for (const value of ABSURD) {
          const r = validate(setAt(data, path, value));
          if (!r.ok) continue;
          for (const script of allScripts(commandPlans(r.scenario))) {
            expect(script, `${file} ${path.join('.')}=${value}`).not.toMatch(/\d[eE][-+]?\d|Infinity|NaN/);
          }
        }
      }
    });
  }
});
