/**
 * Prints the one line CI reads at the very end of the run: "N passed, N failed". A file that failed to
 * load (or a run-level error) counts as a failure, so a broken suite can never look green.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const mod of testModules) {
      let tests = 0;
      for (const test of mod.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
      }
      const modErrors = mod.errors().length;
      if (modErrors > 0 || (mod.state() === 'failed' && tests === 0)) failed += Math.max(1, modErrors);
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  }
}
