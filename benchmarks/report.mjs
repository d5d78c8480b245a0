#!/usr/bin/env node
// Turns the results.tsv written by run.sh into a Markdown table and checks
// the targets of the benchmark issue.
//
//   node report.mjs results.tsv
//
// results.tsv lines: server <TAB> rep <TAB> label <TAB> metric <TAB> value <TAB> unit
// (server is "cpp" or "node"; label is e.g. "echo n=100").

import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node report.mjs results.tsv");
  process.exit(2);
}

// key "label\tmetric" -> { unit, cpp: [values], node: [values] }
const rows = new Map();
for (const line of readFileSync(file, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const [server, , label, metric, value, unit] = line.split("\t");
  const key = `${label}\t${metric}`;
  if (!rows.has(key)) rows.set(key, { label, metric, unit, cpp: [], node: [] });
  const v = Number(value);
  if (Number.isFinite(v) && (server === "cpp" || server === "node")) rows.get(key)[server].push(v);
}

const median = (xs) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => {
  if (!Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a === 0) return "0";
  if (a >= 10000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
};
const cell = (xs) => (xs.length ? `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : "–");

// What each metric is, in the order shown.
const DESCRIPTIONS = {
  handshakes_per_s: "handshakes/s (WebSocket + Socket.IO CONNECT)",
  server_cpu_per_handshake: "server CPU per handshake (µs)",
  rss_per_conn_connected: "server RSS per connection, just connected (KiB)",
  rss_per_conn_idle: "server RSS per connection, after the idle hold (KiB)",
  server_rss_idle: "server RSS total, idle (MiB)",
  idle_server_cpu: "idle server CPU, heartbeats every 5 s (% of a core)",
  deliveries_per_s: "deliveries/s",
  server_cpu_per_M_deliveries: "server CPU per million deliveries (s)",
  round_trips_per_s: "round trips/s",
  server_cpu_per_M_round_trips: "server CPU per million round trips (s)",
  messages_per_s: "messages/s (message → message-back)",
  server_cpu_per_message: "server CPU per message (µs)",
  latency_p50: "latency p50",
  latency_p99: "latency p99",
  lost: "lost deliveries (total must be 0)",
  reordered: "reordered deliveries (must be 0)",
  handshake_failures: "failed handshakes",
  dropped_during_hold: "connections dropped",
  dropped_connections: "connections dropped",
  mismatched_acks: "mismatched acks",
  mismatched: "mismatched replies",
  errors: "HTTP errors",
  loadgen_cpu: "loadgen CPU (% of a core)",
  loadgen_cpu_connecting: "loadgen CPU while connecting (% of a core)",
  server_runqueue_wait: "server runnable but waiting for its CPU (% of the window; machine noise)",
  loadgen_runqueue_wait: "loadgen runnable but waiting for its CPU (%)",
  loadgen_exit_status: "loadgen exit status (0 = ok)",
};
const ORDER = Object.keys(DESCRIPTIONS);
const HIDDEN = new Set(["messages_published"]);

const SCENARIO_ORDER = ["connect", "fanout", "echo", "polling"];
const labelKey = (label) => {
  const [scenario, size] = label.split(" ");
  const n = Number((size ?? "").replace(/^n=/, ""));
  return [SCENARIO_ORDER.indexOf(scenario), Number.isFinite(n) ? n : 0];
};
const sorted = [...rows.values()]
  .filter((r) => !HIDDEN.has(r.metric))
  .sort((a, b) => {
    const [sa, na] = labelKey(a.label);
    const [sb, nb] = labelKey(b.label);
    return sa - sb || na - nb || ORDER.indexOf(a.metric) - ORDER.indexOf(b.metric);
  });

console.log("| scenario | metric | C++ median (min–max) | Node median (min–max) | C++/Node |");
console.log("|---|---|---|---|---|");
for (const r of sorted) {
  const c = median(r.cpp);
  const n = median(r.node);
  const ratio = Number.isFinite(c) && Number.isFinite(n) && n !== 0 ? (c / n).toFixed(2) : "–";
  let what = DESCRIPTIONS[r.metric] ?? r.metric;
  if (r.metric.startsWith("latency")) what += ` (${r.unit})`;
  console.log(`| ${r.label} | ${what} | ${cell(r.cpp)} | ${cell(r.node)} | ${ratio} |`);
}

// ----------------------------------------------------------------- targets
const get = (label, metric) => rows.get(`${label}\t${metric}`);
const ratioOf = (label, metric) => {
  const r = get(label, metric);
  if (!r || !r.cpp.length || !r.node.length) return NaN;
  return median(r.cpp) / median(r.node);
};
const labels = (scenario) => [...new Set([...rows.values()].map((r) => r.label))].filter((l) => l.startsWith(scenario + " "));

const checks = [];
const check = (what, ratio, ok, goal) => checks.push({ what, ratio, ok, goal });
for (const l of labels("fanout")) {
  const x = ratioOf(l, "server_cpu_per_M_deliveries");
  check(`${l}: server CPU per delivery`, x, x <= 0.5, "≤ 0.50");
}
for (const l of labels("echo")) {
  const x = ratioOf(l, "server_cpu_per_M_round_trips");
  check(`${l}: server CPU per round trip`, x, x <= 1 / 3, "≤ 0.33");
}
for (const l of labels("connect")) {
  const x = ratioOf(l, "rss_per_conn_idle");
  check(`${l}: memory per idle connection`, x, x <= 0.25, "≤ 0.25");
}
for (const l of labels("connect")) {
  const x = ratioOf(l, "handshakes_per_s");
  check(`${l}: handshakes/s`, x, x >= 4, "≥ 4");
}
for (const l of labels("connect")) {
  // The same target with the machine's noise taken out: handshakes per second
  // of server CPU (what handshakes/s would be if each server had its core).
  const x = 1 / ratioOf(l, "server_cpu_per_handshake");
  check(`${l}: handshakes per server CPU-second`, x, x >= 4, "≥ 4");
}
for (const l of labels("echo").filter((l) => l === "echo n=1" || l === "echo n=1000")) {
  const x = ratioOf(l, "latency_p99");
  check(`${l}: echo p99 latency`, x, x < 1, "< 1");
}
let bad = 0;
for (const r of rows.values()) {
  if (["lost", "reordered", "dropped_connections", "dropped_during_hold", "mismatched_acks", "mismatched", "errors", "handshake_failures", "loadgen_exit_status"].includes(r.metric)) {
    bad += [...r.cpp, ...r.node].reduce((a, b) => a + b, 0);
  }
}

console.log("\n### Targets (ratio of medians, C++/Node, same run)\n");
console.log("| target | ratio | goal | met |");
console.log("|---|---|---|---|");
for (const c of checks) {
  console.log(`| ${c.what} | ${Number.isFinite(c.ratio) ? c.ratio.toFixed(2) : "–"} | ${c.goal} | ${Number.isFinite(c.ratio) ? (c.ok ? "yes" : "**no**") : "–"} |`);
}
console.log(`| no loss, reordering, dropped connection or failed run (both servers, every repetition) | ${bad} problems | 0 | ${bad === 0 ? "yes" : "**no**"} |`);
