// Test helper: the problems parseScenario reports for a text, one `file:line: path: message` each.
import { ScenarioError } from '../scenarios/errors.ts';
import { parseScenario } from '../scenarios/parse-scenario.ts';

export function scenarioProblems(text: string, file = 'x.yaml'): string[] {
  try {
    parseScenario(text, file);
  } catch (err) {
    if (err instanceof ScenarioError) return err.message.split('\n').slice(1).map((l) => l.trim());
    throw err;
  }
  return [];
}
