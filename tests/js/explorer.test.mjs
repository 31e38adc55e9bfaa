// Unit tests of the explorer chart's pure functions (node --test tests/js/).
// The encoder below follows docs/explorer-payload.md, written from the document, not
// from the decoder, so that decode is tested against independent bytes; a second test
// decodes a blob written by Python (tests/js/make_fixture.py).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import {
  DIVERGED, FORMAT_VERSION, PayloadError, STILL_MOVING, basinColor, buildModel, clampView, decadeTicks, decode, exactPath, fAxis,
  familyStepIndex, stepAtX, CLICK_SLOP, answerPoint, exercisePrompt, exerciseRunIndex, guessDistance, isDrag,
  formatNumber, formatTick, lectureHref, linearScale, logScale, markerPoints, overlayCorner, sameNote, shortcutOf, nearestIndex, nearestStart, niceStep, niceTicks,
  panView, pathUpTo, plotRect, pointAt, pointBetween, roundToView, seriesRow, sliderIndex,
  sliderValueAt, withExactRun, zoomView,
} from "../../ui/components/explorer/explorer.js";

/** The blob for `header` (without "arrays") and arrays {name: {dtype, shape, values}}. */
function encode(header, arrays, { version = 1, magic = "OPTV" } = {}) {
  const table = {};
  let pos = 0;
  const chunks = [];
  for (const [name, { dtype, shape, values }] of Object.entries(arrays)) {
    pos = Math.ceil(pos / 8) * 8;
    table[name] = { offset: pos, shape, dtype };
    const typed = dtype === "i4" ? Int32Array.from(values) : Float32Array.from(values);
    chunks.push([pos, new Uint8Array(typed.buffer)]);
    pos += typed.byteLength;
  }
  const head = new TextEncoder().encode(JSON.stringify({ arrays: table, ...header }));
  const base = Math.ceil((12 + head.length) / 8) * 8;
  const out = new Uint8Array(base + pos);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  dv.setUint32(4, version, true);
  dv.setUint32(8, head.length, true);
  out.set(head, 12);
  for (const [at, bytes] of chunks) out.set(bytes, base + at);
  return out;
}

/** A one-run, two-step payload; `extra` replaces header entries, `arrays` arrays. */
function tinyPayload(extra = {}, arrays = {}) {
  const points = [0, 0, 1, 0.5, NaN, NaN];
  return encode(
    {
      title: "T", formula: "f = x", surface: "s", view: [[-1, 2], [-1, 1]], minima: [[0, 0]],
      contours: { image: null, extent: [-1, 2, -1, 1], lines: "contours/lines", colorbar: { stops: [], ticks: [] } },
      runs: [{
        label: "Adam", optimizer: "adam", color: "#D55E00", dashed: false, steps: 2, diverged_at: 2,
        points: "runs/0/points", values: "runs/0/values",
        series: [{ key: "g", label: "g", array: "runs/0/g" }],
      }],
      focus: 0,
      sliders: [{ param: "beta1", label: "β1", scale: "linear", min: 0, max: 0.9, value: 0.9, family: "beta1", values: [0, 0.5, 0.9] }],
      families: { beta1: { values: "families/beta1/values", steps: "families/beta1/steps", points: "families/beta1/points" } },
      start: [0, 0], lecture: false, ...extra,
    },
    {
      "runs/0/points": { dtype: "f4", shape: [3, 2], values: points },
      "runs/0/values": { dtype: "f4", shape: [3], values: [0, 1.25, NaN] },
      "runs/0/g": { dtype: "f4", shape: [3, 2], values: [NaN, NaN, 1, -2, 3, 4] },
      // Every step kept (0, 1, 2): each row is its value's run.
      "families/beta1/values": { dtype: "f4", shape: [3], values: [0, 0.5, 0.9] },
      "families/beta1/steps": { dtype: "i4", shape: [3], values: [0, 1, 2] },
      "families/beta1/points": { dtype: "f4", shape: [3, 3, 2], values: [0, 0, 1, 1, 2, 2, 0, 0, 2, 2, 4, NaN, ...points] },
      "contours/lines": { dtype: "f4", shape: [1, 4], values: [0, 0, 1, 1] },
      ...arrays,
    },
  );
}

// ------------------------------------------------------------------- decode

test("decode reads the header and typed-array views", () => {
  const { header, arrays } = decode(tinyPayload());
  assert.equal(header.title, "T");
  assert.ok(arrays["runs/0/points"].data instanceof Float32Array);
  assert.ok(arrays["families/beta1/steps"].data instanceof Int32Array);
  assert.deepEqual(arrays["runs/0/points"].shape, [3, 2]);
  assert.deepEqual(Array.from(arrays["runs/0/points"].data.slice(0, 4)), [0, 0, 1, 0.5]);
  assert.ok(Number.isNaN(arrays["runs/0/points"].data[4]));
  assert.deepEqual(Array.from(arrays["families/beta1/steps"].data), [0, 1, 2]);
});

test("decode accepts an ArrayBuffer and a misaligned Uint8Array (a protobuf subarray)", () => {
  const blob = tinyPayload();
  assert.equal(decode(blob.buffer).header.title, "T");
  const big = new Uint8Array(blob.length + 3);
  big.set(blob, 3);
  const { arrays } = decode(big.subarray(3));
  assert.deepEqual(Array.from(arrays["runs/0/values"].data.slice(0, 2)), [0, 1.25]);
});

test("decode views an aligned blob in place and copies a misaligned one array by array", () => {
  const blob = tinyPayload();
  const views = decode(blob).arrays;
  assert.equal(views["runs/0/points"].data.buffer, blob.buffer);
  const big = new Uint8Array(blob.length + 2);
  big.set(blob, 2);
  const { arrays } = decode(big.subarray(2));
  const points = arrays["runs/0/points"].data;
  assert.notEqual(points.buffer, big.buffer);
  assert.equal(points.buffer.byteLength, 6 * 4); // that array alone
  assert.equal(arrays["runs/0/points"].data, points); // copied once
  assert.deepEqual(Array.from(points.slice(0, 4)), [0, 0, 1, 0.5]);
  const model = buildModel(decode(big.subarray(2)));
  assert.deepEqual(Array.from(model.runs[0].values.slice(0, 2)), [0, 1.25]);
  assert.deepEqual(Array.from(model.families.beta1.points.slice(0, 10)), [0, 0, 1, 1, 2, 2, 0, 0, 2, 2]);
  assert.deepEqual(Array.from(model.runs[0].series[0].data.slice(2)), [1, -2, 3, 4]);
});

test("decode rejects what is not a version-1 optviz blob, saying why", () => {
  assert.throws(() => decode(new Uint8Array(5)), (e) => e instanceof PayloadError && /12-byte/.test(e.message));
  assert.throws(() => decode(encode({}, {}, { magic: "PNG!" })), /not an optviz payload.*"PNG!"/);
  assert.throws(() => decode(encode({}, {}, { version: 2 })), new RegExp(`version 2.*version ${FORMAT_VERSION}`));
  assert.throws(() => decode("hello"), /expects its payload as bytes/);
  assert.throws(() => decode(null), /got null/);
  const blob = tinyPayload();
  new DataView(blob.buffer).setUint32(8, 1e6, true);
  assert.throws(() => decode(blob), /header says 1000000 bytes/);
  const whole = tinyPayload();
  const truncated = whole.subarray(0, whole.length - 8);
  assert.throws(() => decode(truncated), /past the blob/);
});

test("decode rejects a bad array table", () => {
  const bad = (spec) => {
    const head = new TextEncoder().encode(JSON.stringify({ arrays: { a: spec } }));
    const out = new Uint8Array(Math.ceil((12 + head.length) / 8) * 8 + 64);
    out.set([79, 80, 84, 86]);
    new DataView(out.buffer).setUint32(4, 1, true);
    new DataView(out.buffer).setUint32(8, head.length, true);
    out.set(head, 12);
    return out;
  };
  assert.throws(() => decode(bad({ offset: 0, shape: [2], dtype: "f8" })), /dtype "f8"/);
  assert.throws(() => decode(bad({ offset: 4, shape: [2], dtype: "f4" })), /multiple of 8/);
  assert.throws(() => decode(bad({ offset: 0, shape: [2.5], dtype: "f4" })), /shape/);
  assert.throws(() => decode(bad({ offset: 0, shape: [100], dtype: "f4" })), /past the blob/);
});

test("buildModel resolves names to arrays and checks shapes", () => {
  const model = buildModel(decode(tinyPayload()));
  assert.equal(model.runs.length, 1);
  assert.equal(model.T, 2);
  assert.equal(model.runs[0].divergedAt, 2);
  assert.equal(model.families.beta1.P, 3);
  assert.equal(model.contours.lines.length, 4);
  assert.equal(model.focus, 0);
  const missing = decode(tinyPayload({ runs: [{ label: "X", points: "nope" }] }));
  assert.throws(() => buildModel(missing), /run 0 \(X\): array "nope" is not in the payload/);
  const wrong = decode(tinyPayload({ runs: [{ label: "X", points: "runs/0/values" }] }));
  assert.throws(() => buildModel(wrong), /shape \[3\]/);
  assert.throws(() => buildModel(decode(tinyPayload({ view: [[1, 0], [0, 1]] }))), /"view"/);
});

test("buildModel reads how a run stays visible, with safe defaults", () => {
  const run = { label: "Adam", points: "runs/0/points", values: "runs/0/values" };
  const twice = (a, b) => buildModel(decode(tinyPayload({ runs: [{ ...run, ...a }, { ...run, label: "M", ...b }] })));
  const model = twice({ marker: "circle", width: 1.3 }, { marker: "diamond", same_as: 0, layer: 1, width: 0.7 });
  assert.deepEqual(model.runs.map((r) => [r.marker, r.sameAs, r.layer, r.width]),
    [["circle", null, 0, 1.3], ["diamond", 0, 1, 0.7]]);
  // An older blob (none of the fields), or nonsense: a full-width circle, no overlap.
  const plain = twice({}, { marker: "<script>", same_as: 1, layer: -2, width: -1 });
  assert.deepEqual(plain.runs.map((r) => [r.marker, r.sameAs, r.layer, r.width]),
    [["circle", null, 0, 1], ["circle", null, 0, 1]]);
  assert.equal(twice({}, { same_as: 5 }).runs[1].sameAs, null); // not an earlier run
});

test("sameNote names the run whose path a run repeats", () => {
  const runs = [{ label: "Adam", sameAs: null }, { label: "Momentum", sameAs: 0 }, { label: "SGD", sameAs: null }];
  assert.equal(sameNote(runs, 1), "same path as Adam");
  assert.equal(sameNote(runs, 0), "");
  assert.equal(sameNote(runs, 2), "");
  assert.equal(sameNote([{ label: "A", sameAs: 1 }, { label: "B", sameAs: null }], 0), ""); // only earlier runs
  assert.equal(sameNote(runs, 7), "");
});

test("markerPoints gives each end marker its own outline of about the circle's size", () => {
  assert.equal(markerPoints("circle", 10), null);
  assert.equal(markerPoints("anything else", 10), null);
  const corners = { diamond: 4, square: 4, "triangle-up": 3, "triangle-down": 3, hexagon: 6 };
  const area = (pts) => Math.abs(pts.reduce((s, [x, y], i) => {
    const [u, v] = pts[(i + 1) % pts.length];
    return s + x * v - u * y;
  }, 0)) / 2;
  for (const [shape, n] of Object.entries(corners)) {
    const pts = markerPoints(shape, 10);
    assert.equal(pts.length, n, shape);
    const ratio = area(pts) / (Math.PI * 100);
    assert.ok(ratio > 0.55 && ratio < 1.1, `${shape}: ${ratio}`);
  }
  // Up and down triangles point opposite ways (y grows downwards on a canvas).
  const tip = (shape) => markerPoints(shape, 10).reduce((a, p) => (Math.abs(p[1]) > Math.abs(a[1]) ? p : a));
  assert.ok(tip("triangle-up")[1] < 0 && tip("triangle-down")[1] > 0);
  // A diamond is a square standing on a corner.
  assert.ok(markerPoints("diamond", 10).some(([x, y]) => Math.abs(x) < 1e-9 && y < 0));
  assert.ok(markerPoints("square", 10).every(([x, y]) => Math.abs(Math.abs(x) - Math.abs(y)) < 1e-9));
});

test("a blob written by Python (make_fixture.py) decodes into the documented layout", () => {
  const path = fileURLToPath(new URL("./fixtures/small.optv", import.meta.url));
  const bytes = new Uint8Array(readFileSync(path));
  const decoded = decode(bytes);
  const model = buildModel(decoded);
  assert.equal(model.title, "D2L quadratic");
  assert.deepEqual(model.view, [[-6, 6], [-3, 3]]);
  assert.equal(model.runs.length, 4);
  assert.equal(model.T, 20);
  assert.deepEqual(model.runs.map((r) => r.marker), ["circle", "diamond", "triangle-up", "square"]);
  assert.ok(model.runs.every((r) => r.sameAs === null && r.layer === 0 && r.width === 1));
  const adam = model.runs[0];
  assert.deepEqual(Array.from(adam.points.slice(0, 2)), [-5, -2]);
  // Adam's first step: every coordinate moves by lr (0.4) against the gradient's sign.
  assert.ok(Math.abs(adam.points[2] - -4.6) < 1e-6 && Math.abs(adam.points[3] - -1.6) < 1e-6);
  assert.deepEqual(adam.series.map((s) => s.key), ["g", "m_hat", "v_hat", "step_size", "delta"]);
  assert.ok(Number.isNaN(adam.series[0].data[0]));
  const gd = model.runs[3];
  assert.equal(gd.divergedAt, 16);
  assert.ok(Number.isNaN(pathUpTo(gd.points, 20)[2 * 16]));
  assert.deepEqual(pointAt(gd.points, 20)[2], 15);
  // Each slider's positions are its values, the family's: η 10 a decade from 1e−5 to 100.
  const lr = model.sliders.find((s) => s.param === "lr");
  assert.equal(lr.values.length, 71);
  assert.deepEqual(Array.from(model.families.lr.values), lr.values.map(Math.fround));
  assert.equal(lr.values[sliderIndex(lr, lr.value)], 0.4);
  assert.deepEqual(model.sliders.map((s) => s.values.length), [71, 53, 43, 43]);
  // 20 steps, every one kept: the family's row at β1 = 0.9 is the committed Adam run.
  assert.deepEqual(Array.from(exactPath(model, "beta1", 0.9)), Array.from(adam.points));
  assert.equal(model.families.start.x1.length, 25);
  assert.equal(model.families.start.x2.length, 13);
  // The lattice run from (x1[i], x2[j]) is stored at [j, i] and starts there.
  const { x1, x2, points, P } = model.families.start;
  const [i, j] = [3, 11];
  const off = (j * x1.length + i) * P * 2;
  assert.deepEqual([points[off], points[off + 1]], [x1[i], x2[j]]);
  assert.equal(decoded.arrays["contours/lines"].shape[1], 4);
  assert.ok(model.contours.image.startsWith("data:image/png;base64,"));
});

// ------------------------------------------------------------------- scales

test("linear and log scales map and invert", () => {
  const s = linearScale(-6, 6, 0, 600);
  assert.equal(s(0), 300);
  assert.equal(s.invert(450), 3);
  const flip = linearScale(-3, 3, 400, 0);
  assert.equal(flip(3), 0);
  const l = logScale(1e-5, 100, 0, 700);
  assert.ok(Math.abs(l(0.01) - 300) < 1e-9);
  assert.ok(Math.abs(l.invert(500) - 1) < 1e-12);
  assert.throws(() => logScale(0, 1, 0, 1), RangeError);
});

test("nice ticks are 1, 2 or 5 × 10^k, inside the range, labelled compactly", () => {
  assert.equal(niceStep(12, 6), 2);
  assert.equal(niceStep(1, 5), 0.2);
  assert.equal(niceStep(0.003, 3), 0.001);
  assert.equal(niceStep(70, 5), 20);
  assert.deepEqual(niceTicks(-6, 6, 6).map((t) => t.label), ["−6", "−4", "−2", "0", "2", "4", "6"]);
  assert.deepEqual(niceTicks(-0.25, 0.25, 5).map((t) => t.label), ["−0.2", "−0.1", "0", "0.1", "0.2"]);
  assert.deepEqual(niceTicks(0.1, 0.35, 5).map((t) => t.label), ["0.1", "0.15", "0.2", "0.25", "0.3", "0.35"]);
  assert.deepEqual(niceTicks(0, 3e5, 3).map((t) => t.label), ["0", "1e5", "2e5", "3e5"]);
  assert.deepEqual(niceTicks(1e-5, 3e-5, 2).map((t) => t.label), ["1e−5", "2e−5", "3e−5"]);
  assert.deepEqual(niceTicks(-6, 6, 2).map((t) => t.value), [-5, 0, 5]); // never a lone tick
  assert.deepEqual(niceTicks(1, 1, 5), []);
  assert.deepEqual(niceTicks(NaN, 1, 5), []);
  for (const t of niceTicks(-2.7, 13.1, 7)) assert.ok(t.value >= -2.7 && t.value <= 13.1);
  // No float dust: 0.1 + 0.2 shows as 0.3.
  assert.equal(formatTick(3 * 0.1, 0.1), "0.3");
  assert.equal(formatTick(1.5e-5, 5e-6), "1.5e−5");
});

test("formatNumber: four significant digits, true minus, exponents at the extremes", () => {
  assert.equal(formatNumber(0.1234567), "0.1235");
  assert.equal(formatNumber(-2), "−2");
  assert.equal(formatNumber(0.9), "0.9");
  assert.equal(formatNumber(1234.5678), "1235");
  assert.equal(formatNumber(12345.6), "12346");
  assert.equal(formatNumber(1.5e-8), "1.5e−8");
  assert.equal(formatNumber(2.5e6), "2.5e6");
  assert.equal(formatNumber(NaN), "—");
  assert.equal(formatNumber(null), "—");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(Infinity), "∞");
  assert.equal(formatNumber(0.99990004, 6), "0.9999");
});

// ------------------------------------------------------------------- sliders

const BETAS = [...Array.from({ length: 40 }, (_, k) => Number((0.025 * k).toFixed(3))), 0.99, 0.995, 0.999];

test("slider positions are the indices of its values; a value reads back exactly", () => {
  const b1 = { scale: "linear", values: BETAS };
  assert.equal(sliderIndex(b1, 0.9), 36);
  assert.equal(sliderValueAt(b1, 35), 0.875); // one arrow key left of 0.9
  assert.equal(sliderValueAt(b1, 12), 0.3);
  assert.equal(sliderValueAt(b1, 42), 0.999);
  assert.equal(sliderValueAt(b1, 99), 0.999);
  assert.equal(sliderValueAt(b1, -3), 0);
  assert.equal(sliderValueAt(b1, "36"), 0.9); // an <input>'s value is a string
  for (let i = 0; i < BETAS.length; i++) assert.equal(sliderIndex(b1, sliderValueAt(b1, i)), i);
  // A value between positions (never the header's own) goes to the nearest.
  assert.equal(sliderIndex(b1, 0.8999999761581421), 36);
  assert.equal(sliderIndex(b1, 0.993), 41);
  assert.equal(sliderIndex(b1, NaN), 0);
  const lr = { scale: "log", values: [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.4, 1] };
  assert.equal(sliderIndex(lr, 0.4), 5);
  assert.equal(sliderIndex(lr, 0.04), 4); // in decades, 0.04 is nearer 0.1 than 0.01
  assert.equal(sliderIndex({ ...lr, scale: "linear" }, 0.04), 3);
});

test("buildModel keeps sliders with usable values only", () => {
  const slider = (extra) => ({ param: "beta1", label: "β1", scale: "linear", value: 0.5, family: "beta1", values: [0, 0.5, 0.9], ...extra });
  const kept = (s) => buildModel(decode(tinyPayload({ sliders: [s] }))).sliders.length;
  assert.equal(kept(slider({})), 1);
  assert.equal(kept(slider({ values: undefined })), 0);
  assert.equal(kept(slider({ values: [] })), 0);
  assert.equal(kept(slider({ values: [0, 0.9, 0.5] })), 0); // not ascending
  assert.equal(kept(slider({ scale: "log", values: [0, 1] })), 0);
  assert.equal(kept(slider({ scale: "log", values: [0.1, 1] })), 1);
});

// ------------------------------------------------------------------- exact paths

test("exactPath: the family's row where it keeps every step and holds the value", () => {
  const model = buildModel(decode(tinyPayload()));
  assert.deepEqual(Array.from(exactPath(model, "beta1", 0.5)), [0, 0, 2, 2, 4, NaN]);
  assert.deepEqual(Array.from(exactPath(model, "beta1", 0.9)), Array.from(model.runs[0].points));
  assert.equal(exactPath(model, "beta1", 0.7), null); // not a value of the family
  assert.equal(exactPath(model, "beta2", 0.5), null); // no such slider
  assert.equal(exactPath({ ...model, focus: null }, "beta1", 0.5), null);
  // A long run's family keeps some steps only: a preview, not the run.
  const thinned = buildModel(decode(tinyPayload({}, {
    "families/beta1/steps": { dtype: "i4", shape: [2], values: [0, 2] },
    "families/beta1/points": { dtype: "f4", shape: [3, 2, 2], values: [0, 0, 2, 2, 0, 0, 4, 4, 0, 0, 1, 1] },
  })));
  assert.equal(exactPath(thinned, "beta1", 0.5), null);
  const skipped = buildModel(decode(tinyPayload({}, {
    "families/beta1/steps": { dtype: "i4", shape: [3], values: [0, 2, 2] },
  })));
  assert.equal(exactPath(skipped, "beta1", 0.5), null);
});

test("withExactRun: the focused run on the exact path, its readout pending", () => {
  const model = buildModel(decode(tinyPayload()));
  const points = exactPath(model, "beta1", 0.5);
  const shown = withExactRun(model, "beta1", 0.5, points);
  const run = shown.runs[0];
  assert.equal(run.points, points);
  assert.equal(run.pending, true);
  assert.equal(run.values, null);
  assert.deepEqual(run.series.map((s) => [s.key, s.data]), [["g", null]]);
  assert.equal(run.divergedAt, 2);
  assert.equal(run.label, "Adam");
  assert.equal(shown.sliders[0].value, 0.5);
  assert.deepEqual(shown.committed, { param: "beta1", value: 0.5 });
  // The blob's model is untouched; the rest is shared.
  assert.equal(model.sliders[0].value, 0.9);
  assert.equal(model.runs[0].pending, undefined);
  assert.equal(shown.families, model.families);
  assert.equal(shown.T, model.T);
});

// ------------------------------------------------------------------- lookups

test("nearestIndex: binary search, nearest, log-aware, clamped", () => {
  const a = Float32Array.from([0, 0.25, 0.5, 0.75, 1]);
  assert.equal(nearestIndex(a, 0.3), 1);
  assert.equal(nearestIndex(a, 0.4), 2);
  assert.equal(nearestIndex(a, -5), 0);
  assert.equal(nearestIndex(a, 5), 4);
  assert.equal(nearestIndex(a, 0.75), 3);
  assert.equal(nearestIndex(new Float32Array(0), 1), -1);
  assert.equal(nearestIndex(a, NaN), -1);
  const g = [0.001, 0.01, 0.1, 1];
  assert.equal(nearestIndex(g, 0.04), 1); // linear: nearer 0.01 by 0.03 than 0.1 by 0.06
  assert.equal(nearestIndex(g, 0.04, true), 2); // log: 0.04 is 0.6 decade up, 0.4 down
  const big = Array.from({ length: 1001 }, (_, i) => i / 1000);
  for (const x of [0.1234, 0.5, 0.9999, 0.0004]) assert.equal(nearestIndex(big, x), Math.round(x * 1000));
});

test("familyStepIndex: the last kept step at or before t", () => {
  const steps = Int32Array.from([0, 17, 34, 50]);
  assert.equal(familyStepIndex(steps, 0), 0);
  assert.equal(familyStepIndex(steps, 16), 0);
  assert.equal(familyStepIndex(steps, 17), 1);
  assert.equal(familyStepIndex(steps, 49), 2);
  assert.equal(familyStepIndex(steps, 500), 3);
  assert.equal(familyStepIndex(steps, -1), -1);
  assert.equal(familyStepIndex(new Int32Array(0), 3), -1);
});

test("nearestStart picks the lattice node nearest a point", () => {
  const x1 = [-6, -3, 0, 3, 6];
  const x2 = [-3, 0, 3];
  assert.deepEqual(nearestStart(x1, x2, -4, 1.6), { i: 1, j: 2 });
  assert.deepEqual(nearestStart(x1, x2, 100, -100), { i: 4, j: 0 });
});

test("pointAt is clamped and skips a diverged tail; pathUpTo slices without copying", () => {
  const p = Float32Array.from([0, 0, 1, 1, 2, 2, NaN, NaN, NaN, NaN]);
  assert.deepEqual(pointAt(p, 1), [1, 1, 1]);
  assert.deepEqual(pointAt(p, 1.7), [1, 1, 1]);
  assert.deepEqual(pointAt(p, -3), [0, 0, 0]);
  assert.deepEqual(pointAt(p, 4), [2, 2, 2]);
  assert.deepEqual(pointAt(p, 99), [2, 2, 2]);
  assert.equal(pointAt(Float32Array.from([NaN, NaN]), 0), null);
  assert.equal(pointAt(new Float32Array(0), 0), null);
  assert.deepEqual(pointBetween(p, 0.5), [0.5, 0.5, 0]);
  assert.deepEqual(pointBetween(p, 2.5), [2, 2, 2]);
  const s = pathUpTo(p, 1);
  assert.deepEqual(Array.from(s), [0, 0, 1, 1]);
  assert.equal(s.buffer, p.buffer);
  assert.equal(pathUpTo(p, 99).length, 10);
  assert.equal(pathUpTo(p, -1).length, 2);
  assert.deepEqual(seriesRow(Float32Array.from([NaN, NaN, 1, 2]), 5), [1, 2]);
});

// ----------------------------------------------------------------------- view

test("zoom keeps the point under the cursor; pan moves; clamp bounds both", () => {
  const v = [[-6, 6], [-3, 3]];
  const z = zoomView(v, 2, 2, 1);
  assert.deepEqual(z, [[-2, 4], [-1, 2]]);
  // (2, 1) sits at the same fraction of the view before and after.
  assert.equal((2 - v[0][0]) / 12, (2 - z[0][0]) / 6);
  assert.deepEqual(zoomView(z, 0.5, 2, 1), v);
  assert.deepEqual(panView(v, 1, -0.5), [[-5, 7], [-3.5, 2.5]]);
  const out = clampView(zoomView(v, 1e-3, 0, 0), v);
  assert.ok(Math.abs(out[0][1] - out[0][0] - 240) < 1e-9 && Math.abs(out[1][1] - out[1][0] - 120) < 1e-9);
  const tiny = clampView(zoomView(v, 1e9, 1, 1), v);
  assert.ok(Math.abs((tiny[0][1] - tiny[0][0]) / 12 - 1e-4) < 1e-12);
  const far = clampView(panView(v, 1000, 0), v);
  assert.equal((far[0][0] + far[0][1]) / 2, 60);
  assert.deepEqual(clampView(v, v), v);
});

test("plotRect keeps equal scales within 3 : 1 and fills the box beyond", () => {
  const box = { x: 50, y: 10, w: 800, h: 500 };
  const r = plotRect([[-6, 6], [-3, 3]], box);
  assert.equal(r.equal, true);
  assert.equal(r.w / 12, r.h / 6);
  assert.ok(r.w <= 800 && r.h <= 500);
  assert.equal(r.x + r.w / 2, 450);
  const wide = plotRect([[0, 100], [0, 1]], box);
  assert.deepEqual(wide, { ...box, equal: false });
});

test("roundToView rounds a dropped start to the view's resolution (data units a pixel)", () => {
  assert.equal(roundToView(-4.123456, 12 / 1040), -4.12);
  assert.equal(roundToView(1.98766, 1e-4), 1.9877);
  assert.equal(roundToView(1.98766, 0.01), 1.99);
  assert.equal(roundToView(123.456, 2), 123);
});

test("lectureHref switches lecture mode and keeps every other setting", () => {
  const page = "http://127.0.0.1:8501/explorer?steps=40&opt=Adam&opt=SGD&adam.beta2=0.5";
  const on = new URL(lectureHref(page, true));
  assert.equal(on.searchParams.get("lecture"), "1");
  assert.deepEqual(on.searchParams.getAll("opt"), ["Adam", "SGD"]);
  assert.equal(on.searchParams.get("adam.beta2"), "0.5");
  assert.equal(on.pathname, "/explorer");
  const off = new URL(lectureHref(on.href, false));
  assert.equal(off.searchParams.has("lecture"), false);
  assert.equal(off.searchParams.get("steps"), "40");
  // Set twice, or given as lecture=true, it is one lecture=1.
  assert.deepEqual(new URL(lectureHref(`${page}&lecture=true`, true)).searchParams.getAll("lecture"), ["1"]);
});

test("shortcutOf: a lecturer's keys, but never those typed into a control", () => {
  const body = { tagName: "BODY" };
  assert.equal(shortcutOf(" ", body), "play");
  assert.equal(shortcutOf("ArrowLeft", body), "back");
  assert.equal(shortcutOf("ArrowRight", { tagName: "DIV" }), "forward");
  assert.equal(shortcutOf("[", body), "slower");
  assert.equal(shortcutOf("]", body), "faster");
  assert.equal(shortcutOf("f", body), "controls");
  assert.equal(shortcutOf("F", body), "controls");
  assert.equal(shortcutOf("x", body), null);
  assert.equal(shortcutOf(" ", body, { ctrlKey: true }), null);
  for (const tagName of ["INPUT", "input", "TEXTAREA", "SELECT"]) {
    assert.equal(shortcutOf("ArrowLeft", { tagName }), null, tagName); // a slider's own arrows
  }
  assert.equal(shortcutOf(" ", { tagName: "DIV", isContentEditable: true }), null);
  assert.equal(shortcutOf(" ", { tagName: "BUTTON" }), null); // the button's own press
  assert.equal(shortcutOf("]", { tagName: "BUTTON" }), "faster");
  assert.equal(shortcutOf(" ", null), "play");
});

test("shortcutOf in lecture mode: R resets, F shows or hides the sliders over the plot", () => {
  const body = { tagName: "BODY" };
  const lecture = { overlay: true, standalone: false };
  for (const key of ["r", "R"]) assert.equal(shortcutOf(key, body, {}, lecture), "reset", key);
  for (const key of ["f", "F"]) assert.equal(shortcutOf(key, body, {}, lecture), "controls", key);
  assert.equal(shortcutOf("r", body, { ctrlKey: true }, lecture), null); // Ctrl+R reloads
  assert.equal(shortcutOf("R", { tagName: "TEXTAREA" }, {}, lecture), null);
  // With β1's slider focused, its arrows stay its own; the letters are still the chart's.
  const slider = { tagName: "INPUT", type: "range" };
  assert.equal(shortcutOf("ArrowLeft", slider, {}, lecture), null);
  assert.equal(shortcutOf(" ", slider, {}, lecture), null);
  assert.equal(shortcutOf("f", slider, {}, lecture), "controls");
  assert.equal(shortcutOf("r", slider, {}, lecture), "reset");
  assert.equal(shortcutOf("]", slider, {}, lecture), "faster");
  assert.equal(shortcutOf("f", { tagName: "INPUT", type: "number" }, {}, lecture), null); // typed
  // Sliders under the plot (the settings view, a phone): F has nothing to hide.
  assert.equal(shortcutOf("f", body, {}, { overlay: false }), null);
  assert.equal(shortcutOf("r", body, {}, { overlay: false }), "reset");
  // The downloaded page has no Python to reset; its other keys work.
  assert.equal(shortcutOf("r", body, {}, { overlay: true, standalone: true }), null);
  assert.equal(shortcutOf(" ", body, {}, { overlay: true, standalone: true }), "play");
});

test("overlayCorner: the corner covering the fewest path points, never the start", () => {
  // A 100 × 100 plot, a 40 × 20 panel in each corner.
  const rects = {
    "top-right": { x: 60, y: 0, w: 40, h: 20 }, "top-left": { x: 0, y: 0, w: 40, h: 20 },
    "bottom-right": { x: 60, y: 80, w: 40, h: 20 }, "bottom-left": { x: 0, y: 80, w: 40, h: 20 },
  };
  const diagonal = Array.from({ length: 11 }, (_, i) => [10 * i, 100 - 10 * i]); // ↗
  const covered = (corner) => diagonal.filter(([x, y]) => {
    const r = rects[corner];
    return x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h;
  }).length;
  const chosen = overlayCorner(rects, diagonal);
  assert.ok(["top-left", "bottom-right"].includes(chosen), chosen);
  for (const corner of Object.keys(rects)) assert.ok(covered(chosen) <= covered(corner), corner);
  // The start square is avoided even where fewer points would be covered: a path from
  // the top left corner, one point in the bottom left, more in the right-hand corners.
  const start = [10, 10];
  const path = [start, [20, 90], [70, 90], [80, 95], [70, 10], [80, 5], [90, 15]];
  assert.equal(overlayCorner(rects, path), "top-left"); // ties go to the first corner
  assert.equal(overlayCorner(rects, path, { avoid: [start] }), "bottom-left");
  // A tie keeps the panel where it is; a strictly better corner moves it.
  assert.equal(overlayCorner(rects, [], { current: "bottom-left" }), "bottom-left");
  assert.equal(overlayCorner(rects, [[10, 90]], { current: "bottom-left" }), "top-right");
  // Every corner covers the start: the one covering the fewest points still wins.
  const everywhere = { a: { x: 0, y: 0, w: 100, h: 100 }, b: { x: 0, y: 0, w: 100, h: 100 } };
  assert.equal(overlayCorner(everywhere, [], { avoid: [[50, 50]] }), "a");
  assert.equal(overlayCorner({}, diagonal), null);
});

test("fAxis: log when every f is positive over two decades or more, else linear", () => {
  const falling = [new Float32Array([400, 40, 4, 0.5, NaN]), new Float32Array([300, 200])];
  assert.deepEqual(fAxis(falling), { log: true, lo: 0.1, hi: 1000 });
  // A saddle goes below zero: linear, with 5 % room either side.
  const saddle = fAxis([new Float32Array([1, -3])]);
  assert.equal(saddle.log, false);
  assert.ok(Math.abs(saddle.lo - -3.2) < 1e-12 && Math.abs(saddle.hi - 1.2) < 1e-12);
  assert.equal(fAxis([new Float32Array([5, 2])]).log, false); // within a decade: linear
  const flat = fAxis([new Float32Array([2, 2])]);
  assert.ok(flat.lo < 2 && flat.hi > 2);
  assert.equal(fAxis([new Float32Array([NaN])]), null);
  assert.equal(fAxis([]), null);
});

test("decadeTicks: powers of ten, plain digits near 1, fewer when many", () => {
  assert.deepEqual(decadeTicks(0.01, 100).map((t) => t.label), ["0.01", "0.1", "1", "10", "100"]);
  assert.deepEqual(decadeTicks(1e-8, 1e4, 5).map((t) => t.label), ["1e−8", "1e−5", "0.01", "10", "1e4"]);
  assert.deepEqual(decadeTicks(0.5, 50).map((t) => t.value), [1, 10]);
});

test("stepAtX: the nearest step under the pointer, clamped to the run", () => {
  assert.equal(stepAtX(60, 10, 100, 20), 10);
  assert.equal(stepAtX(-40, 10, 100, 20), 0);
  assert.equal(stepAtX(500, 10, 100, 20), 20);
  assert.equal(stepAtX(14, 10, 100, 20), 1);
  assert.equal(stepAtX(50, 10, 0, 20), 0);
});

test("buildModel reads the basin map, checking its lattice's shape", () => {
  const basins = { x1: "b/x1", x2: "b/x2", labels: "b/labels", minima: [[0, 0], [1], [1, 1]], note: "two minima" };
  const arrays = {
    "b/x1": { dtype: "f4", shape: [3], values: [-1, 0, 1] },
    "b/x2": { dtype: "f4", shape: [2], values: [-1, 1] },
    "b/labels": { dtype: "i4", shape: [2, 3], values: [0, 0, 1, -1, 1, -2] },
  };
  const model = buildModel(decode(tinyPayload({ basins }, arrays)));
  assert.deepEqual(Array.from(model.basins.labels), [0, 0, 1, -1, 1, -2]);
  assert.deepEqual(model.basins.minima, [[0, 0], [1, 1]]); // the malformed one dropped
  assert.equal(model.basins.note, "two minima");
  assert.equal(buildModel(decode(tinyPayload())).basins, null);
  const wrong = { ...arrays, "b/labels": { dtype: "i4", shape: [3, 2], values: [0, 0, 1, -1, 1, -2] } };
  assert.throws(() => buildModel(decode(tinyPayload({ basins }, wrong))), /basins: array "b\/labels" has shape \[3,2\]/);
});

test("basinColor: one tint per minimum, grey still moving, nothing where it diverged", () => {
  const tints = [0, 1, 2, 3, 4, 5, 6, 7].map(basinColor);
  assert.equal(new Set(tints).size, 8);
  assert.equal(basinColor(8), basinColor(0)); // past eight the tints repeat
  assert.equal(basinColor(STILL_MOVING), "#f0f0f0");
  assert.ok(!tints.includes("#f0f0f0"));
  assert.equal(basinColor(DIVERGED), null);
});

// --------------------------------------------------------- predict, then play

test("shortcutOf: P switches the exercise, also with a slider focused", () => {
  for (const key of ["p", "P"]) assert.equal(shortcutOf(key, { tagName: "BODY" }), "predict", key);
  assert.equal(shortcutOf("p", { tagName: "INPUT", type: "range" }), "predict");
  assert.equal(shortcutOf("p", { tagName: "INPUT", type: "text" }), null); // typed
  assert.equal(shortcutOf("p", { tagName: "BODY" }, { metaKey: true }), null); // ⌘P prints
});

test("buildModel reads the predict flag, off unless the header sets it", () => {
  assert.equal(buildModel(decode(tinyPayload())).predict, false);
  assert.equal(buildModel(decode(tinyPayload({ predict: true }))).predict, true);
});

test("isDrag: a pointer held within the slop clicks, beyond it drags", () => {
  assert.equal(isDrag(0, 0), false);
  assert.equal(isDrag(CLICK_SLOP * 0.6, CLICK_SLOP * 0.6), false); // a hand's tremble
  assert.equal(isDrag(0, -CLICK_SLOP), true);
  assert.equal(isDrag(CLICK_SLOP * 10, 0), true);
});

test("the exercise asks about the focused run, else the first, and answers with its last point", () => {
  const model = buildModel(decode(tinyPayload()));
  assert.equal(exerciseRunIndex(model), 0);
  assert.equal(exerciseRunIndex({ ...model, focus: null }), 0);
  assert.equal(exerciseRunIndex({ ...model, runs: [] }), null);
  // The tiny run diverges at its last step: no answer there.
  assert.equal(answerPoint(model.runs[0]), null);
  const points = Float32Array.from([0, 0, 1, 0.5, 1.5, -0.25]);
  assert.deepEqual(answerPoint({ points, steps: 2 }), [1.5, -0.25]);
  assert.deepEqual(answerPoint({ points, steps: 1 }), [1, 0.5]);
});

test("guessDistance: Euclidean in data units, NaN without a guess or an answer", () => {
  assert.equal(guessDistance([0, 0], [3, -4]), 5);
  assert.equal(guessDistance([1, 1], [1, 1]), 0);
  assert.ok(Number.isNaN(guessDistance(null, [1, 1])));
  assert.ok(Number.isNaN(guessDistance([1, 1], null)));
});

test("exercisePrompt: the question, what to do next, then the distance as the readout writes numbers", () => {
  const base = { label: "Adam", steps: 20 };
  assert.equal(exercisePrompt(base), "Where will Adam be after 20 steps? Click the plot.");
  assert.equal(exercisePrompt({ ...base, steps: 1 }), "Where will Adam be after 1 step? Click the plot.");
  const guess = [0, 0];
  assert.equal(exercisePrompt({ ...base, guess }),
    "Where will Adam be after 20 steps? Click again to move your guess.");
  // Revealing: the paths play, the question stays until the last step.
  assert.equal(exercisePrompt({ ...base, guess, revealed: true, answer: [0.3, 0.4] }),
    "Where will Adam be after 20 steps?");
  const answered = { ...base, guess, revealed: true, answered: true };
  const d = guessDistance(guess, [0.3, -0.7616]);
  assert.equal(exercisePrompt({ ...answered, answer: [0.3, -0.7616] }),
    `Your guess was ${formatNumber(d, 3)} from Adam's point at step 20.`);
  assert.match(exercisePrompt({ ...answered, answer: [3, 4] }), /^Your guess was 5 from/);
  assert.match(exercisePrompt({ ...answered, answer: [3e-5, 4e-5] }), /was 5e−5 from/);
  // Revealed without a guess (the class voted aloud): where the run is.
  assert.equal(exercisePrompt({ ...answered, guess: null, answer: [-0.5, 1.25] }), "Adam at step 20: (−0.5, 1.25).");
  assert.equal(exercisePrompt({ ...answered, answer: null }), "Adam has no point at step 20: it diverged before.");
});
