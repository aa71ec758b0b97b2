// The expected graphs of a run's scenarios, as the report re-judges them: each scenario's graph
// items in the order the runner judged them, read by the same scenarios/graph-items.ts.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { CellGraphSpec } from '../../analysis/report/build-report.ts';
import type { ScenarioInfo } from '../../analysis/report/results.ts';
import type { Scenario } from '../../scenarios/schema.ts';
import { loadScenarioFile, SEED_DIR } from '../scenario-loader.ts';

export function graphSpecs(scenario: Scenario): Array<CellGraphSpec | null> {
  return scenario.graphs.map((item) => {
    const step = item.step !== undefined ? { step: item.step } : {};
    return item.kind === 'order' ? { kind: 'order', order: item.order, ...step } : { kind: 'path', graph: item.graph, ...step };
  });
}

export interface ScenarioGraphs {
  specs: Array<CellGraphSpec | null> | null;
  problem?: string;
}

/**
 * The scenario file the run used (its path in results.json: relative to the run's working directory,
 * else to the results folder, which lets a folder carry its scenarios), else the seed scenario of that name.
 */
export function loadScenarioGraphs(info: ScenarioInfo, resultsDir: string): ScenarioGraphs {
  // A kernel selftest has no scenario file and judges no call graphs.
  if (info.kind === 'selftest') return { specs: [] };
  const candidates = [info.file ? resolve(info.file) : null, info.file && !isAbsolute(info.file) ? resolve(resultsDir, info.file) : null, join(SEED_DIR, `${info.name}.yaml`)].filter((f): f is string => f !== null && existsSync(f));
  const file = candidates[0];
  if (file === undefined) return { specs: null, problem: `scenario ${info.name}: file ${info.file ?? '(none recorded)'} not found; expected graphs are shown as the run recorded them` };
  try {
    const loaded = loadScenarioFile(file);
    if (loaded.scenario.name !== info.name) return { specs: null, problem: `${file} now holds scenario ${loaded.scenario.name}, not ${info.name}` };
    return { specs: graphSpecs(loaded.scenario) };
  } catch (err) {
    return { specs: null, problem: `${file}: cannot load the scenario (${(err as Error).message.split('\n')[0]}); expected graphs are shown as the run recorded them` };
  }
}
