/**
 * The seed scenarios' inputs, as @ossim/kernel defines them: the web app runs each run of a
 * scenario on its own (in its worker, with checkpoints) rather than through `runScenario`.
 */
export {
  SCENARIO_SEED,
  SCENARIO_TITLES,
  SCENARIO_UNTIL_NS,
  SCENARIOS,
  type ScenarioName,
  type ScenarioRunInputs,
  scenarioRuns,
} from '@ossim/kernel';
