// node:test reporter: one line per test, failure details, and a closing line
// `N passed, M failed` (`, K skipped` when some were skipped) alone on its own line.
//
//   node --test --test-reporter=./reporter.mjs engine.test.mjs
//
// The runner's own exit code stays what it is: non-zero when any test failed. A failure
// outside any test (a hook, a file that does not load) counts as one failed test, so a
// broken run can never end as "0 passed, 0 failed".

import { relative } from "node:path";
import { inspect } from "node:util";

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);

function describeError(error) {
  if (!error) return "";
  // node:test wraps the real error: ERR_TEST_FAILURE with the thrown value as cause.
  let err = error;
  const parts = [];
  if (err.code === "ERR_TEST_FAILURE" && err.cause !== undefined) {
    if (err.failureType && !["testCodeFailure", "hookFailed"].includes(err.failureType)) {
      parts.push(`(${err.failureType})`);
    }
    err = err.cause;
  }
  if (err instanceof Error) {
    parts.push(err.stack || `${err.name}: ${err.message}`);
    if (err.cause instanceof Error) {
      parts.push(`caused by: ${err.cause.stack || err.cause.message}`);
    }
  } else {
    parts.push(inspect(err, { depth: 4 }));
  }
  return parts.join("\n");
}

function indent(text, prefix) {
  return text
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}

function displayFile(file) {
  if (!file) return "";
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

export default async function* reporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const names = []; // names[nesting] = name of the test that started last at that depth
  const reported = []; // reported[nesting] = test results counted since that test started
  const failures = [];

  for await (const event of source) {
    const { type, data } = event;
    switch (type) {
      case "test:start": {
        names[data.nesting] = data.name;
        names.length = data.nesting + 1;
        reported[data.nesting] = 0;
        reported.length = data.nesting + 1;
        break;
      }
      case "test:pass":
      case "test:fail": {
        const isSuite = data.details?.type === "suite";
        const path = names.slice(0, data.nesting).concat(data.name).join(" › ");
        const ms = data.details?.duration_ms;
        const time = typeof ms === "number" ? ` (${ms.toFixed(0)} ms)` : "";
        const countResult = () => {
          for (let i = 0; i < data.nesting && i < reported.length; i++) reported[i]++;
        };
        if (type === "test:pass") {
          if (isSuite) break;
          if (data.skip !== undefined || data.todo !== undefined) {
            skipped++;
            countResult();
            const why = data.skip ?? data.todo;
            yield `${paint(33, "-")} ${path} # SKIP${typeof why === "string" && why ? ` ${why}` : ""}\n`;
          } else {
            passed++;
            countResult();
            yield `${paint(32, "✔")} ${path}${time}\n`;
          }
          break;
        }
        const error = data.details?.error;
        // A suite whose tests already reported (passed or failed) is not counted again;
        // one that failed with no test reported (a hook failed, say) counts once.
        if (isSuite && error?.failureType === "subtestsFailed") break;
        const where = data.file ? ` [${displayFile(data.file)}${data.line ? `:${data.line}` : ""}]` : "";
        if (error?.failureType === "cancelledByParent") {
          // The reason is printed with the parent (a hook failed, or a timeout).
          yield `${paint(31, "✖")} ${path} (cancelled)\n`;
        } else {
          yield `${paint(31, "✖")} ${path}${time}${isSuite ? " (suite or hook)" : ""}\n`;
          const detail = describeError(error);
          if (detail) {
            yield `${indent(detail, "    ")}\n`;
          }
        }
        if (isSuite && (reported[data.nesting] ?? 0) > 0) break;
        failed++;
        countResult();
        failures.push(`${path}${where}`);
        break;
      }
      case "test:stdout":
      case "test:stderr": {
        const text = data.message ?? "";
        if (text.trim()) yield indent(text.replace(/\n$/, ""), "  | ") + "\n";
        break;
      }
      case "test:diagnostic": {
        // The runner's own summary (tests/pass/fail/...) is replaced by the closing line.
        if (data.nesting === 0 && /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(data.message)) break;
        yield `# ${data.message}\n`;
        break;
      }
      default:
        break;
    }
  }

  if (failures.length) {
    yield `\nfailed:\n${failures.map((f) => `  ${f}`).join("\n")}\n`;
  }
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`;
}
