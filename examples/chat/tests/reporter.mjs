// A node:test reporter: a line per test, the error of each failure, and as the very last
// line `N passed, M failed` (with `, K skipped` when tests were skipped).
//
//   node --test --test-reporter=./reporter.mjs protocol.test.mjs
//
// A failure outside any test (a hook, a file that does not load) counts as a failed
// test, so a broken run never ends with "0 failed".

import { inspect } from "node:util";

function explain(error) {
  let err = error;
  // node:test wraps what the test threw in an ERR_TEST_FAILURE.
  if (err && err.code === "ERR_TEST_FAILURE" && err.cause !== undefined) err = err.cause;
  if (err instanceof Error) return err.stack || String(err);
  return inspect(err, { depth: 5 });
}

const indent = (text, pad) =>
  String(text)
    .split("\n")
    .map((line) => pad + line)
    .join("\n");

export default async function* reporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const { type, data } of source) {
    if (type === "test:pass") {
      if (data.details?.type === "suite") continue;
      if (data.skip !== undefined || data.todo !== undefined) {
        skipped++;
        yield `- ${data.name} # skipped\n`;
      } else {
        passed++;
        yield `ok ${data.name} (${Math.round(data.details?.duration_ms ?? 0)} ms)\n`;
      }
    } else if (type === "test:fail") {
      const error = data.details?.error;
      // A suite fails when one of its tests did; that test was counted already.
      if (data.details?.type === "suite" && error?.failureType === "subtestsFailed") continue;
      failed++;
      failures.push(data.name);
      yield `FAIL ${data.name}\n${indent(explain(error), "    ")}\n`;
    } else if (type === "test:stderr" || type === "test:stdout") {
      const text = (data.message ?? "").replace(/\n$/, "");
      if (text.trim()) yield `${indent(text, "  | ")}\n`;
    } else if (type === "test:diagnostic") {
      // The runner's own totals are replaced by the closing line.
      if (data.nesting === 0 && /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(data.message)) {
        continue;
      }
      yield `# ${data.message}\n`;
    }
  }
  if (failures.length) yield `\nfailed:\n${failures.map((name) => `  ${name}`).join("\n")}\n`;
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`;
}
