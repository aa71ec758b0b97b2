// What the scenario-injection tests share: the seed scenarios, the hostile values, validation, and
// every command plan the runner sends to a guest with the check that free text stays quoted.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { expect } from 'vitest';
import { setAt, stringPaths } from '../fuzz/object-paths.ts';
import { snapshotCommand } from '../../scenarios/counters.ts';
import { ScenarioError } from '../../scenarios/errors.ts';
import {
  observerCommands, serverCommands, serviceCommands, stepCommand, sysctlCommands, topologyCommands, type GuestCommand,
} from '../../scenarios/guest-commands.ts';
import { moduleCommand } from '../../scenarios/guest-state.ts';
import { defineScenario, parseScenario } from '../../scenarios/parse-scenario.ts';
import type { Scenario, ScenarioInput } from '../../scenarios/schema.ts';
import { stepMarker } from '../../analysis/step-markers.ts';
import { HOOK_FUNCTIONS, markerCommand, planTracing } from '../../scenarios/trace-plan.ts';
import { singleQuotedValues, unquotedText } from './shell-words.ts';

const seedDir = join(import.meta.dirname, '..', '..', 'scenarios', 'seed');
export const seeds = readdirSync(seedDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => ({ file: f, data: parseYaml(readFileSync(join(seedDir, f), 'utf8')) as Record<string, unknown> }));

/** Every script the runner would send for this scenario (all steps, tracing with every hook present). */
export function commandPlans(s: Scenario): GuestCommand[] {
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
export function allScripts(plans: GuestCommand[]): string[] {
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

/**
 * The schema's answer for hostile data, without the YAML text: defineScenario runs the same checks as
 * parseScenario (checkScenario), 20 times faster than writing and reading YAML (0.4 ms against 8 ms
 * a scenario), which makes the sweep's tens of thousands of cases seconds instead of minutes.
 * validateYaml goes through the file format, for the cases where the text itself matters.
 */
export function validate(data: unknown): { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError } {
  return outcome(() => defineScenario(structuredClone(data) as ScenarioInput));
}

export function validateYaml(data: unknown): { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError } {
  return outcome(() => parseScenario(stringify(data), 'injected.yaml'));
}

function outcome(parse: () => Scenario): { ok: true; scenario: Scenario } | { ok: false; error: ScenarioError } {
  try {
    return { ok: true, scenario: parse() };
  } catch (err) {
    if (err instanceof ScenarioError) return { ok: false, error: err };
    throw err;
  }
}

// Unique markers around each metacharacter: if one shows up outside quotes, free text got through.
export const M = 'zqzq';
export const HOSTILE = [
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
export function leaks(s: Scenario, injected: string): string[] {
  const problems: string[] = [];
  for (const script of allScripts(commandPlans(s))) {
    if (META.test(injected) && injected.includes(M) && unquotedText(script).includes(M)) problems.push(`unquoted free text in: ${script.slice(0, 300)}`);
    if (/[\0\r]/.test(script)) problems.push(`control character in: ${JSON.stringify(script.slice(0, 200))}`);
  }
  return problems;
}

/** Every string field of one seed set to every hostile value: rejected, or quoted all the way to the shell. */
export function checkEveryStringField(file: string, data: Record<string, unknown>): void {
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
}
